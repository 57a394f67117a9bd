package app_test

import (
	"fmt"
	"strings"
	"testing"

	"takaffoul/app"
)

// An XLSX with more rows than a sheet holds is refused before its first
// byte, with a translated message naming the limit; narrowed, it fits, and
// the CSV has no limit. (Moved from the repository's tests when the file
// formats left the repository, issue 13.) Not parallel: it lowers a
// package variable, which Go's runner keeps away from the parallel tests.
func TestXLSXBeyondASheetIsRefusedBeforeWriting(t *testing.T) {
	env := newExportEnv(t)
	defer app.SetXLSXRowLimit(2)() // the course has 2 rows, the whole world 3
	r := env.coordinator.get("/exports/attendance.xlsx")
	expectStatus(t, "xlsx over the limit", r, 422)
	if r.Header.Get("Content-Disposition") != "" || strings.HasPrefix(r.Body, "PK") {
		t.Errorf("a refused export must not start a file: %q", r.Body[:min(len(r.Body), 20)])
	}
	var e apiError
	decode(t, r, &e)
	if msg := e.Fields["format"]; !strings.Contains(msg, "2") || strings.Contains(msg, "export.") {
		t.Errorf("want the translated limit under format, got %+v", e)
	}
	r = env.coordinator.get(fmt.Sprintf("/exports/attendance.xlsx?course=%d", env.course.ID))
	expectStatus(t, "xlsx narrowed to one course", r, 200)
	r = env.coordinator.get("/exports/attendance.csv")
	expectStatus(t, "csv has no limit", r, 200)
	if records := readCSV(t, r.Body); len(records) != 4 {
		t.Fatalf("want a header and 3 rows, got %d records", len(records))
	}
}
