package domain

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestGuardFormula(t *testing.T) {
	for _, s := range []string{"=1+2", "+212600", "-3", "@SUM(A1)", "\tx", "\rx"} {
		if got := GuardFormula(s); got != "'"+s {
			t.Errorf("GuardFormula(%q) = %q", s, got)
		}
	}
	for _, s := range []string{"", "Amina", "فاطمة", "a=b", "'quoted"} {
		if got := GuardFormula(s); got != s {
			t.Errorf("GuardFormula(%q) = %q: want unchanged", s, got)
		}
	}
}

func TestCSVTableGuardsEveryTextCellAndKeepsNumbers(t *testing.T) {
	var buf bytes.Buffer
	cols := []Column{{Key: "a"}, {Key: "n", Kind: Integer}, {Key: "when", Kind: DateTime}, {Key: "rate", Kind: Percent}}
	w, err := NewTableWriter(&buf, cols, ExportOptions{Format: CSV, Keys: true})
	must(t, err)
	when := time.Date(2026, 11, 28, 8, 30, 0, 0, time.UTC) // 09:30 in Casablanca (UTC+1)
	must(t, w.WriteRow([]any{"\tcmd", int64(-5), when, 0.875}))
	must(t, w.Close())
	got := buf.String()
	want := "\ufeffa,n,when,rate\r\n'\tcmd,-5,2026-11-28 09:30,88\r\n"
	if got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	if _, err := csv.NewReader(strings.NewReader(got)).ReadAll(); err != nil {
		t.Fatal(err)
	}
}

func TestExportFileName(t *testing.T) {
	day := time.Date(2026, 11, 28, 23, 30, 0, 0, time.UTC) // already the 29th in Casablanca
	if got := ExportFileName("attendance", "child-protection", day, CSV); got != "attendance_child-protection_2026-11-29.csv" {
		t.Fatalf("got %q", got)
	}
	if got := ExportFileName("matrix", "../CP RABAT/1", day, XLSX); got != "matrix_CP-RABAT-1_2026-11-29.xlsx" {
		t.Fatalf("got %q", got)
	}
}

// TestLocaleFilesHaveTheSameKeys checks that the three languages of each
// message file of this feature carry the same keys, and that every header
// and value key the exports use has a text.
func TestLocaleFilesHaveTheSameKeys(t *testing.T) {
	for _, feature := range []string{"exports", "imports"} {
		var first []string
		for _, lang := range []string{"ar", "fr", "en"} {
			messages := loadMessages(t, feature, lang)
			keys := make([]string, 0, len(messages))
			for k, v := range messages {
				if strings.TrimSpace(v) == "" {
					t.Errorf("%s.%s.json: %s is empty", feature, lang, k)
				}
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if first == nil {
				first = keys
			} else if strings.Join(keys, ",") != strings.Join(first, ",") {
				t.Errorf("%s.%s.json does not have the same keys as %s.ar.json", feature, lang, feature)
			}
		}
	}
}

// TestExportHeadersCanBeImportedBack checks that every column an export
// shares with the import is recognised by the import in each language: a
// coordinator can export, edit and import back.
func TestExportHeadersCanBeImportedBack(t *testing.T) {
	for _, lang := range []string{"ar", "fr", "en"} {
		messages := loadMessages(t, "exports", lang)
		for _, col := range []string{"full_name_ar", "full_name_latin", "category", "sex", "organisation", "province"} {
			header := messages["export.col."+col]
			if got := headerAliases[foldLabel(header)]; got != col {
				t.Errorf("%s header %q is read as %q, want %q", lang, header, got, col)
			}
		}
		for _, c := range Categories {
			if got := categoryWords[foldLabel(messages["export.category."+string(c)])]; got != c {
				t.Errorf("%s category %q not read back", lang, messages["export.category."+string(c)])
			}
		}
		for _, s := range []Sex{Female, Male} {
			if got := sexWords[foldLabel(messages["export.sex."+string(s)])]; got != s {
				t.Errorf("%s sex %q not read back", lang, messages["export.sex."+string(s)])
			}
		}
	}
}

func loadMessages(t *testing.T, feature, lang string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "views", "locales", feature+"."+lang+".json"))
	must(t, err)
	var messages map[string]string
	must(t, json.Unmarshal(data, &messages))
	return messages
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
