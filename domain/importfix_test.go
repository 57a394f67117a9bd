package domain

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// The count made before parsing agrees with the parser on what is a row:
// blank lines, Excel's sep= line and quoted line breaks do not count.
func TestCheckImportSizeCountsRowsAsTheParserDoes(t *testing.T) {
	for _, c := range []struct {
		name, file string
		rows       int
	}{
		{"plain", "a,b\n1,2\n3,4\n", 2},
		{"no final newline", "a,b\n1,2\n3,4", 2},
		{"blank lines and separators only", "a;b\r\n1;2\r\n;;\r\n\r\n \u00a0;\r\n3;4\r\n", 2},
		{"sep line", "sep=;\na;b\n1;2\n", 1},
		{"quoted line break", "a,b\n\"line\nbreak\",2\n3,4\n", 2},
		{"header only", "a,b\n", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			rows, err := CheckImportSize([]byte(c.file))
			if err != nil || rows != c.rows {
				t.Fatalf("got %d rows, %v; want %d", rows, err, c.rows)
			}
		})
	}
}

// A workbook of 100,001 data rows is refused by the count, before excelize
// reads a row; 100,000 pass.
func TestCheckImportSizeRefusesAWorkbookPastTheRowLimit(t *testing.T) {
	for _, n := range []int{MaxImportRows, MaxImportRows + 1} {
		book := excelize.NewFile()
		sw, err := book.NewStreamWriter("Sheet1")
		if err != nil {
			t.Fatal(err)
		}
		_ = sw.SetRow("A1", []any{"Nom", "Catégorie", "Sexe"})
		for i := 0; i < n; i++ {
			cell, _ := excelize.CoordinatesToCellName(1, i+2)
			_ = sw.SetRow(cell, []any{fmt.Sprintf("P %d", i), "Enfant", "F"})
		}
		_ = sw.Flush()
		var buf bytes.Buffer
		if err := book.Write(&buf); err != nil {
			t.Fatal(err)
		}
		rows, err := CheckImportSize(buf.Bytes())
		switch {
		case n <= MaxImportRows && (err != nil || rows != n):
			t.Fatalf("%d rows: got %d, %v", n, rows, err)
		case n > MaxImportRows:
			ie, ok := err.(*ImportError)
			if !ok || ie.Problems[0].Key != "import.too_many_rows" || !ie.OverLimit() {
				t.Fatalf("%d rows: want import.too_many_rows, got %v", n, err)
			}
		}
	}
}

// The file of rows to fix drops the fix column of an earlier round, and
// the parser skips it without calling it ignored.
func TestTheFixColumnComesBackSkipped(t *testing.T) {
	list := "À corriger,Nom,Catégorie,Sexe\nold note,Amina,Enfant,X\n"
	var out bytes.Buffer
	ok, err := WriteImportFixFile(&out, []byte(list), "l.csv", "csv", ImportFixFile{Fixes: map[int]string{2: "Sexe : X"}, FixHeader: "À corriger"})
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if got := strings.TrimPrefix(out.String(), "\ufeff"); got != "À corriger,Nom,Catégorie,Sexe\r\nSexe : X,Amina,Enfant,X\r\n" {
		t.Fatalf("got %q", got)
	}
	f := ParseImport(strings.NewReader(list), "l.csv")
	if len(f.Ignored) != 0 {
		t.Fatalf("the fix column was called ignored: %q", f.Ignored)
	}
}
