package domain

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"
)

// ParseImportBytes reads a file where it is (the upload, not a copy of it)
// and, told the rows counted before, sizes their slice once: what it reads
// must be what ParseImport reads from a reader, problems included, for
// every kind of file.
func TestParseImportBytesReadsWhatParseImportReads(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	var big strings.Builder
	big.WriteString("category,full_name_ar,full_name_latin,sex,birth_year,organisation,national_id\r\n")
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&big, "institutional_actor,مستفيد %d,Person %d,female,1985,Centre %d,YA%07d\r\n", i, i, i%7, i)
	}
	big.WriteString("institutional_actor,,Person x,xyz,1985,Centre 1,YA0000001\r\n") // refused twice over
	latin1, err := charmap.Windows1252.NewEncoder().String("Nom;Catégorie;Sexe\r\nHélène;Acteur institutionnel;Femme\r\n")
	if err != nil {
		t.Fatal(err)
	}
	workbook, err := os.ReadFile("testdata/imports/libreoffice-dates.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"big.csv":    []byte(big.String()),
		"latin1.csv": []byte(latin1),
		"bom.csv":    []byte("\ufeffNom et prénom;Catégorie;Sexe;CIN\r\nAmina;Acteur institutionnel;Femme;ab1\r\n"),
		"empty.csv":  nil,
		"dates.xlsx": workbook,
		"binary.csv": {0, 1, 2, 3},
		"header.csv": []byte("Nom,Catégorie,Sexe\n"),
		"mapped.csv": []byte("Prénom,Nom,Catégorie,Sexe,Autre\nAmina,Tazi,Acteur institutionnel,Femme,x\n"),
	}
	for name, data := range files {
		settings := ImportSettings{Now: now, Columns: map[int]string{4: IgnoreColumn}}
		want := ParseImportWith(bytes.NewReader(data), name, settings)
		rows, _ := CheckImportSize(data)
		settings.Rows = rows
		got := ParseImportBytes(data, name, settings)
		if !reflect.DeepEqual(got.Rows, want.Rows) && !(len(got.Rows) == 0 && len(want.Rows) == 0) {
			t.Errorf("%s: rows differ:\n got %+v\nwant %+v", name, got.Rows, want.Rows)
		}
		got.Rows, want.Rows = nil, nil
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: file read differently:\n got %+v\nwant %+v", name, got, want)
		}
	}
}
