package app_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"takaffoul/domain"
)

// Text hygiene (docs/SECURITY.md, "Text hygiene"): what a person types in a
// page, through the API or in an imported file is stored as it is seen.

// A name holding a right-to-left override would be displayed reversed
// ("Ali \u202Efdp.exe" reads "Ali exe.pdf"): it is refused, and the message
// shows the invisible character.
func TestAPIRefusesABidiOverrideInANameAndShowsIt(t *testing.T) {
	t.Parallel()
	env := newAPIEnv(t)
	before := countRows(t, env.store, `SELECT count(*) FROM trainees`)
	for _, name := range []string{`Ali \u202Efdp.exe`, "Ali \u202Efdp.exe"} { // a JSON escape, and the character itself
		body := fmt.Sprintf(`{"category": "associative_actor", "full_name_latin": "%s", "sex": "male", "organisation_id": %d}`,
			name, env.association.ID)
		r := env.coordinator.call("POST", "/api/v1/trainees", body)
		expectStatus(t, "name with an RLO", r, 422)
		var e apiError
		decode(t, r, &e)
		msg := e.Fields["full_name_latin"]
		if !strings.Contains(msg, "«Ali <U+202E>fdp.exe»") || strings.ContainsRune(r.Body, '\u202e') { // in Arabic, the users' language
			t.Errorf("the message does not show the control visibly: %q", msg)
		}
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees`); n != before {
		t.Fatalf("a refused name was stored: %d new trainees", n-before)
	}
}

// JSON's decoder would turn bytes that are not UTF-8 into U+FFFD and store
// them: they are a 422 on the field that holds them, and nothing is stored.
func TestAPIRefusesBrokenUTF8(t *testing.T) {
	t.Parallel()
	env := newAPIEnv(t)
	before := countRows(t, env.store, `SELECT count(*) FROM trainees`)
	cases := []struct{ target, body, field string }{
		{"/api/v1/trainees", fmt.Sprintf("{\"category\": \"associative_actor\", \"full_name_latin\": \"Ali \xff\xfe\", \"sex\": \"male\", \"organisation_id\": %d}",
			env.association.ID), "full_name_latin"},
		{fmt.Sprintf("/api/v1/courses/%d/enrollments", env.course.ID), fmt.Sprintf(
			"{\"trainee\": {\"category\": \"associative_actor\", \"full_name_ar\": \"علي \xc3\", \"sex\": \"male\", \"organisation_id\": %d}}",
			env.association.ID), "full_name_ar"},
	}
	for _, tc := range cases {
		r := env.coordinator.call("POST", tc.target, tc.body)
		expectStatus(t, tc.target, r, 422)
		var e apiError
		decode(t, r, &e)
		if msg := e.Fields[tc.field]; !strings.Contains(msg, "<0x") || strings.ContainsRune(msg, '\ufffd') {
			t.Errorf("%s: want the broken byte shown on %s, got %+v", tc.target, tc.field, e.Fields)
		}
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees`); n != before {
		t.Fatalf("broken text was stored: %d new trainees", n-before)
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees WHERE full_name_latin LIKE '%' || chr(65533) || '%' OR full_name_ar LIKE '%' || chr(65533) || '%'`); n != 0 {
		t.Fatalf("%d names hold U+FFFD", n)
	}
}

// A form field that is not UTF-8 is refused next to that field, quoted.
func TestFormRefusesBrokenUTF8OnItsField(t *testing.T) {
	t.Parallel()
	env := newPageEnv(t)
	before := countRows(t, env.store, `SELECT count(*) FROM trainees`)
	env.trainer.get(fmt.Sprintf("/courses/%d/enrol", env.course.ID))
	r := env.trainer.post(fmt.Sprintf("/courses/%d/enrollments", env.course.ID), url.Values{"category": {"associative_actor"},
		"full_name_latin": {"Ali \xff"}, "sex": {"male"}, "organisation_id": {fmt.Sprint(env.association.ID)}})
	expectStatus(t, "broken UTF-8 in a form", r, 422)
	if !strings.Contains(r.Body, `id="e-full_name_latin"`) || !strings.Contains(r.Body, "«Ali &lt;0xFF&gt;»") {
		t.Errorf("the message is not next to the name, quoting the byte:\n%s", r.Body)
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees`); n != before {
		t.Fatalf("broken text was stored: %d new trainees", n-before)
	}
}

// Arabic-Indic and Persian digits are numbers like any other: the course
// form takes them for the year, dates and capacity, and they are stored as
// ASCII.
func TestCourseFormTakesArabicIndicDigits(t *testing.T) {
	t.Parallel()
	env := newPageEnv(t)
	env.coordinator.get("/courses/new")
	r := env.coordinator.post("/courses", url.Values{"programme_id": {fmt.Sprint(env.programme.ID)}, "code": {"CP-٣"},
		"title_ar": {"دورة ٣"}, "title_fr": {"Formation 3"}, "year": {"٢٠١٩"}, "province": {"rabat"},
		"start_date": {"٢٠١٩-٠٤-٠١"}, "end_date": {"۲۰۱۹-۰۴-۳۰"}, "capacity": {"٤٠"}, "completion_threshold": {"۸۰"}})
	expectStatus(t, "course in Arabic-Indic digits", r, 303)
	if n := countRows(t, env.store, `SELECT count(*) FROM courses WHERE code = 'CP-3' AND year = 2019 AND capacity = 40
	        AND completion_threshold = 80 AND start_date = '2019-04-01' AND end_date = '2019-04-30' AND title_ar = 'دورة ٣'`); n != 1 {
		t.Fatal("the course was not stored with ASCII numbers (and its title as typed)")
	}
	// A value that is not a number is quoted back, visibly.
	env.coordinator.get("/courses/new")
	r = env.coordinator.post("/courses", url.Values{"programme_id": {fmt.Sprint(env.programme.ID)}, "code": {"CP-4"},
		"year": {"٢٠\u202e١٩x"}})
	expectStatus(t, "year that is not a number", r, 422)
	if !strings.Contains(r.Body, "٢٠&lt;U&#43;202E&gt;١٩x") {
		t.Errorf("the bad year is not quoted visibly:\n%s", r.Body)
	}
}

// A phone in Arabic-Indic digits, as an Arabic keyboard types it, through the
// API and the enrolment form; a name typed decomposed (NFD) is stored NFC
// and invisible noise is removed.
func TestPhoneInArabicDigitsAndNFDNamesAreStoredClean(t *testing.T) {
	t.Parallel()
	env := newAPIEnv(t)
	body := fmt.Sprintf(`{"category": "associative_actor", "full_name_latin": "He\u0301le\u0300ne\u200b Ait", "sex": "female",
		"phone": "\u202a٠٦١٢٣٤٥٦٧٨\u202c", "national_id": "ab ۱۲۳۴۵", "organisation_id": %d}`, env.association.ID)
	r := env.coordinator.call("POST", "/api/v1/trainees", body)
	expectStatus(t, "Arabic-Indic phone", r, 201)
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees WHERE full_name_latin = $1 AND phone = '0612345678'
	        AND national_id = 'AB12345'`, "H\u00e9l\u00e8ne Ait"); n != 1 {
		t.Fatal("the person was not stored with an ASCII phone and an NFC name")
	}
	// The enrolment form: the same person's phone in Persian digits.
	pages := newPageEnv(t)
	pages.trainer.get(fmt.Sprintf("/courses/%d/enrol", pages.course.ID))
	r = pages.trainer.post(fmt.Sprintf("/courses/%d/enrollments", pages.course.ID), url.Values{"category": {"associative_actor"},
		"full_name_latin": {"Sa\u0304mi\u0301"}, "sex": {"male"}, "birth_year": {"١٩٩٠"}, "phone": {"۰۶ ۱۲ ۳۴ ۵۶ ۷۸"},
		"organisation_id": {fmt.Sprint(pages.association.ID)}})
	expectStatus(t, "enrol form in Persian digits", r, 303)
	if n := countRows(t, pages.store, `SELECT count(*) FROM trainees WHERE full_name_latin = $1 AND phone = '0612345678'
	        AND birth_year = 1990`, "S\u0101m\u00ed"); n != 1 {
		t.Fatal("the form did not store an ASCII phone, year and an NFC name")
	}
}

// Query filters take Arabic-Indic digits too.
func TestQueryFiltersTakeArabicIndicDigits(t *testing.T) {
	t.Parallel()
	env := newAPIEnv(t)
	later := domain.Course{ProgrammeID: env.programme.ID, Code: "CP-2020", TitleAr: "د", TitleFr: "F", Year: 2020,
		Province: "rabat", StartDate: env.course.StartDate, EndDate: env.course.EndDate, Capacity: 10}
	if err := env.store.CreateCourse(context.Background(), &later, nil); err != nil {
		t.Fatal(err)
	}
	r := env.coordinator.call("GET", "/api/v1/courses?year="+url.QueryEscape("٢٠٢٠"), "")
	expectStatus(t, "courses of ٢٠٢٠", r, 200)
	var courses []domain.Course
	decode(t, r, &courses)
	if len(courses) != 1 || courses[0].Code != "CP-2020" {
		t.Fatalf("want the 2020 course only, got %+v", courses)
	}
	r = env.ministry.call("GET", "/api/v1/totals?year="+url.QueryEscape("٢٠١٩"), "")
	expectStatus(t, "totals of ٢٠١٩", r, 200)
}

// The import reads cells with the same rules: Arabic-Indic digits in the
// birth year and phone, NFC names; a name with a bidi control refuses the
// file with a message that shows it.
func TestImportCleansCellsAndShowsRefusedControls(t *testing.T) {
	t.Parallel()
	env := newAPIEnv(t)
	const target = "/api/v1/imports/trainees"
	course := fmt.Sprint(env.course.ID)
	good := "Nom;Catégorie;Sexe;Organisme;Année de naissance;Téléphone\r\n" +
		"He\u0301le\u0300ne Aït\u200b;Acteur associatif;Femme;جمعية الأمل;١٩٨٥;٠٦١٢٣٤٥٦٧٨\r\n"
	r := env.coordinator.upload(target, "liste.csv", []byte(good), map[string]string{"course_id": course})
	expectStatus(t, "import in Arabic-Indic digits", r, 201)
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees WHERE full_name_latin = $1 AND birth_year = 1985
	        AND phone = '0612345678'`, "H\u00e9l\u00e8ne A\u00eft"); n != 1 {
		t.Fatalf("the row was not stored clean: %s", r.Body)
	}
	before := countRows(t, env.store, `SELECT count(*) FROM trainees`)
	spoofed := "Nom;Catégorie;Sexe;Organisme\r\nAli \u202efdp.exe;Acteur associatif;Homme;جمعية الأمل\r\n"
	r = env.coordinator.upload(target, "liste.csv", []byte(spoofed), map[string]string{"course_id": course})
	expectStatus(t, "import with an RLO", r, 422)
	var a importAnswer
	decode(t, r, &a)
	if len(a.Problems) != 1 || a.Problems[0].Column != "full_name_latin" || !strings.Contains(a.Problems[0].Message, "Ali <U+202E>fdp.exe") ||
		strings.ContainsRune(r.Body, '\u202e') {
		t.Fatalf("want one problem quoting the control visibly: %s", r.Body)
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees`); n != before {
		t.Fatal("a refused file stored people")
	}
}

// A name typed decomposed (e + U+0301, as some keyboards and macOS file
// names give it) is stored composed (NFC), so that it is one name with
// the same name typed composed.
func TestNFDNameIsStoredNFC(t *testing.T) {
	t.Parallel()
	env := newAPIEnv(t)
	body := fmt.Sprintf(`{"category": "associative_actor", "full_name_latin": "Zoe\u0301 Ai\u0308t", "full_name_ar": "\u0627\u0654مينة",
		"sex": "female", "organisation_id": %d}`, env.association.ID)
	expectStatus(t, "NFD name", env.coordinator.call("POST", "/api/v1/trainees", body), 201)
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees WHERE full_name_latin = $1 AND full_name_ar = $2`,
		"Zo\u00e9 A\u00eft", "\u0623مينة"); n != 1 {
		t.Fatal("the names were not stored in NFC")
	}
}
