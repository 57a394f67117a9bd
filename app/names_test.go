package app_test

import (
	"strings"
	"testing"

	"golang.org/x/net/html"

	"takaffoul/domain"
)

// visibleText is the text of a page a person reads (scripts and styles aside).
func visibleText(page string) string {
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(page))
	skip := false
	for {
		switch z.Next() {
		case html.ErrorToken:
			return b.String()
		case html.StartTagToken:
			name, _ := z.TagName()
			skip = string(name) == "script" || string(name) == "style"
		case html.EndTagToken:
			skip = false
		case html.TextToken:
			if !skip {
				b.Write(z.Text())
				b.WriteByte(' ')
			}
		}
	}
}

// TestPagesAndFilesShowNamesNotCodes: the course list, a course's page and
// the attendance file name the programme and the province in the reader's
// language; their codes ("child-protection", "rabat") are for machines.
func TestPagesAndFilesShowNamesNotCodes(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	web := newApp(t, store)
	addUser(t, store, "coordinator@names.ma", domain.RoleCoordinator)
	tr := addUser(t, store, "trainer@names.ma", domain.RoleTrainer)
	w := newWorld(t, store, tr.ID)
	cl := newClient(t, web)
	cl.login("coordinator@names.ma", testPassword)

	names := map[string][2]string{ // language → programme, province
		"fr": {w.programme.NameFr, "Préfecture de Rabat"},
		"ar": {w.programme.NameAr, "عمالة الرباط"},
		"en": {w.programme.NameEn, "Préfecture de Rabat"}, // no English name: French
	}
	for lang, want := range names {
		cl.setLanguage(lang)
		for _, page := range []string{"/courses", "/courses/" + itoa(w.course.ID)} {
			text := visibleText(cl.get(page).Body)
			for _, name := range want {
				if !strings.Contains(text, name) {
					t.Errorf("%s in %s: %q is not shown", page, lang, name)
				}
			}
			for _, code := range []string{w.programme.Code, "rabat"} {
				if strings.Contains(text, code) {
					t.Errorf("%s in %s shows the code %q", page, lang, code)
				}
			}
		}
	}

	cl.setLanguage("fr")
	r := cl.get("/exports/attendance.csv?course=" + itoa(w.course.ID))
	expectStatus(t, "attendance CSV", r, 200)
	records, err := csvReader(r.Body).ReadAll()
	if err != nil || len(records) < 2 {
		t.Fatalf("attendance CSV: %v, %d records", err, len(records))
	}
	if records[0][5] != "Programme" || records[1][5] != w.programme.NameFr || records[1][13] != "Préfecture de Rabat" {
		t.Errorf("the attendance file's programme and province: %q %q / %q %q", records[0][5], records[1][5], records[0][13], records[1][13])
	}
	keys := cl.get("/exports/attendance.csv?header=keys&course=" + itoa(w.course.ID))
	if !strings.Contains(keys.Body, ",child-protection,") {
		t.Errorf("with ?header=keys the file keeps the codes:\n%.300s", keys.Body)
	}
}
