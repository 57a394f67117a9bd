package app

import (
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
)

// formTypes are every form type of the pages, by the name the tests use.
// A new form type goes here: TestEachFormTypeNamesTheInputsOfItsPage
// compares its fields with its page's inputs.
var formTypes = map[string]any{
	"programme": programmeForm{}, "course": courseForm{}, "series": seriesForm{}, "trainer": trainerForm{},
	"trainee": traineeForm{}, "enrol_existing": enrolExistingForm{}, "new_user": newUserForm{},
	"user_role": userRoleForm{}, "user_password": userPasswordForm{}, "user_active": userActiveForm{},
	"setup": setupForm{}, "login": loginForm{}, "reported": reportedForm{}, "import": importUpload{},
	"merge": mergeForm{}, "correction": correctionForm{},
}

// read fills the form type dst points to from a POST of values, as a
// handler does, and returns the form the page would show again.
func read(t *testing.T, dst any, values url.Values) *Form {
	t.Helper()
	var form *Form
	web := fiber.New()
	web.Post("/", func(c *fiber.Ctx) error {
		form = readForm(c, dst)
		return nil
	})
	req := httptest.NewRequest("POST", "/", strings.NewReader(values.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, err := web.Test(req, -1); err != nil {
		t.Fatal(err)
	}
	return form
}

// problems is what Check found, field → key (and param after a space).
func problems(f *Form, validation error) map[string]string {
	out := map[string]string{}
	v, _ := domain.AsValidation(f.Check(validation))
	if v == nil {
		return out
	}
	for field, p := range v.Fields {
		out[field] = strings.TrimSpace(p.Key + " " + p.Param)
	}
	return out
}

// Every form type reads and shows each of its fields: no field of a type
// the reader does not know (it would panic), and a zero form shows empty.
func TestEveryFormTypeReadsAndShowsItsFields(t *testing.T) {
	for name, zero := range formTypes {
		ptr := reflect.New(reflect.TypeOf(zero)).Interface()
		form := read(t, ptr, url.Values{})
		if len(form.Fields) == 0 || len(form.problems) != 0 {
			t.Errorf("%s: fields %v, problems %v", name, form.Fields, form.problems)
		}
		for field, v := range formOf(zero).Values {
			if v != "" {
				t.Errorf("%s: the empty form shows %s = %q", name, field, v)
			}
		}
	}
}

// The course form: numbers in any digits, days as people write them, what
// does not read quoted back as typed, the rest found by Validate; and a
// stored course shown again in the same form.
func TestCourseFormReadsAndShowsItself(t *testing.T) {
	var f courseForm
	form := read(t, &f, url.Values{"programme_id": {"٣"}, "code": {"CP-1"}, "title_ar": {"دورة"}, "year": {"٢٠٢٦"},
		"province": {"rabat"}, "start_date": {"٣١/٠٣/٢٠٢٦"}, "end_date": {"31/02/2026"}, "capacity": {"abc"},
		"completion_threshold": {""}, "archived": {"on"}})
	if f.ProgrammeID != 3 || f.Year != 2026 || f.StartDate.String() != "2026-03-31" || !f.Archived || f.CompletionThreshold != 0 {
		t.Fatalf("read %+v", f)
	}
	course := f.newCourse()
	got := problems(form, course.Validate())
	want := map[string]string{"end_date": "form.date_format 31/02/2026", "capacity": "text.not_a_number abc",
		"title_fr": "validation.required"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("problems %v, want %v", got, want)
	}
	for field, typed := range map[string]string{"capacity": "abc", "end_date": "31/02/2026", "start_date": "٣١/٠٣/٢٠٢٦", "archived": "on"} {
		if form.Values[field] != typed {
			t.Errorf("%s shown again as %q, want %q as typed", field, form.Values[field], typed)
		}
	}

	start, _ := domain.ParseDate("2019-03-01")
	stored := &domain.Course{ProgrammeID: 3, Code: "CP-1", TitleAr: "دورة", TitleFr: "Formation", Year: 2019, Province: "rabat",
		StartDate: start, EndDate: start, Capacity: 40, CompletionThreshold: 80}
	shown := formOf(courseFormOf(stored)).Values
	for field, v := range map[string]string{"start_date": "01/03/2019", "capacity": "40", "year": "2019", "archived": "", "title_fr": "Formation"} {
		if shown[field] != v {
			t.Errorf("the stored course shows %s = %q, want %q", field, shown[field], v)
		}
	}
	if formOf(newCourseForm()).Values["completion_threshold"] != "80" {
		t.Error("the empty course form lacks the usual threshold")
	}
}

// The enrolment form keeps only the fields of the person's category: an
// organisation chosen for a child and a consent ticked for an adult are
// ignored; an organisation typed in is validated on its own field.
func TestTraineeFormFollowsTheCategory(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var child traineeForm
	form := read(t, &child, url.Values{"category": {"child_parliamentarian"}, "full_name_ar": {" ياسين "}, "sex": {"male"},
		"birth_year": {"٢٠١٢"}, "organisation_id": {"7"}, "new_organisation_name": {"Association"}, "guardian_consent": {"on"},
		"phone": {""}})
	person := child.trainee()
	if person.OrganisationID != nil || child.newOrganisation(person) != nil || !person.GuardianConsent ||
		*person.BirthYear != 2012 || *person.FullNameAr != "ياسين" || person.Phone != nil {
		t.Fatalf("child read as %+v", person)
	}
	if p := problems(form, child.validate(person, nil, now)); len(p) != 0 {
		t.Fatalf("a valid child: %v", p)
	}

	var adult traineeForm
	form = read(t, &adult, url.Values{"category": {"associative_actor"}, "full_name_latin": {"Said Tazi"}, "sex": {"male"},
		"guardian_consent": {"on"}, "new_organisation_name": {strings.Repeat("a", 301)}, "birth_year": {"soon"}})
	person = adult.trainee()
	org := adult.newOrganisation(person)
	if person.GuardianConsent || org == nil || org.Kind != domain.Association {
		t.Fatalf("adult read as %+v, organisation %+v", person, org)
	}
	got := problems(form, adult.validate(person, org, now))
	want := map[string]string{"new_organisation_name": "validation.max 300", "birth_year": "text.not_a_number soon"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("problems %v, want %v", got, want)
	}
	if form.Values["new_organisation_name"] != strings.Repeat("a", 301) || form.Values["guardian_consent"] != "on" {
		t.Error("what was typed is not shown again as typed")
	}
}

// Each of the other form types: what it reads, what it refuses, and that a
// password is never shown again.
func TestFormTypesReadTheirFields(t *testing.T) {
	var series seriesForm
	form := read(t, &series, url.Values{"first_day": {"3/3/2026"}, "start_time": {"٠٩:٠٠"}, "end_time": {"12:00"},
		"count": {"6"}, "interval_days": {"٧"}, "hours": {"2,5"}})
	sessions, err := series.series().Sessions()
	if form.Check(err) != nil || len(sessions) != 6 || sessions[5].Hours != 2.5 || sessions[1].StartsAt.Day() != 10 {
		t.Fatalf("series %+v: %v", series, form.Check(err))
	}
	if formOf(newSeriesForm()).Values["interval_days"] != "7" || formOf(newSeriesForm()).Values["count"] != "1" {
		t.Error("the empty series form lacks its defaults")
	}

	var programme programmeForm
	form = read(t, &programme, url.Values{"code": {"takaffoul"}, "start_year": {"۲۰۱۸"}, "end_year": {"2017"}})
	if got := problems(form, programme.programme().Validate()); got["end_year"] != "programme.end_before_start" ||
		got["name_ar"] != "validation.required" || programme.StartYear != 2018 {
		t.Errorf("programme %+v: %v", programme, got)
	}

	var reported reportedForm
	form = read(t, &reported, url.Values{"figure": {"local_actors.trained"}, "programme": {"takaffoul"}, "year": {""},
		"value": {"١٥١"}, "source": {"Rapport 2020"}, "reported_on": {"31/12/2020"}})
	if form.Check(reported.reported().Validate()) != nil || reported.Year != nil || reported.Value != 151 ||
		reported.ReportedOn.String() != "2020-12-31" {
		t.Errorf("reported %+v", reported)
	}
	form = read(t, &reported, url.Values{"reported_on": {"2020-12-31T09:00:00+01:00"}})
	if got := problems(form, nil)["reported_on"]; got != "form.date_format 2020-12-31T09:00:00+01:00" {
		t.Errorf("a day written otherwise: %q", got)
	}

	var upload importUpload
	if form = read(t, &upload, url.Values{"course_id": {"١٢"}, "dry_run": {"on"}}); upload.CourseID != 12 || !upload.DryRun ||
		upload.File != nil || form.Values["dry_run"] != "on" {
		t.Errorf("import %+v", upload)
	}
	if v := formOf(newImportUpload(0)).Values; v["dry_run"] != "on" || v["course_id"] != "" {
		t.Errorf("the empty import form: %v", v)
	}

	var existing enrolExistingForm
	if form = read(t, &existing, url.Values{"trainee_id": {"12x"}}); form.Check(nil) == nil {
		t.Error("a trainee id that is not a number passes")
	}
	var active userActiveForm
	if read(t, &active, url.Values{"active": {"true"}}); !active.Active {
		t.Error("active=true read as false")
	}
	if read(t, &active, url.Values{"active": {"false"}}); active.Active {
		t.Error("active=false read as true")
	}

	var user newUserForm
	form = read(t, &user, url.Values{"name": {"Fatima"}, "email": {"f@example.ma"}, "role": {"trainer"}, "language": {"klingon"},
		"password": {"a secret password"}})
	if u := user.user(); u.Language != "ar" || u.Role != domain.RoleTrainer || user.Password != "a secret password" {
		t.Errorf("new user %+v", u)
	}
	var setup setupForm
	setupShown := read(t, &setup, url.Values{"token": {"t"}, "password": {"one secret"}, "password_confirm": {"two secret"}})
	var login loginForm
	loginShown := read(t, &login, url.Values{"email": {"a@b.ma"}, "password": {"the secret"}, "next": {"/courses"}})
	for _, shown := range []*Form{form, setupShown, loginShown} {
		for field, v := range shown.Values {
			if strings.Contains(v, "secret") {
				t.Errorf("%s shows a password again: %q", field, v)
			}
		}
	}
	if login.Password != "the secret" || setup.PasswordConfirm != "two secret" || loginShown.Values["next"] != "/courses" {
		t.Errorf("login %+v, setup %+v", login, setup)
	}
}

// A form keeps at most maxEchoedValue bytes of what was typed in a field:
// a field pasted full of megabytes is not copied into the page.
func TestFormDoesNotEchoMegabytes(t *testing.T) {
	var f programmeForm
	form := read(t, &f, url.Values{"name_ar": {strings.Repeat("ن", maxEchoedValue)}})
	if form.Values["name_ar"] != "" || len(f.NameAr) != 2*maxEchoedValue {
		t.Fatalf("echoed %d bytes, read %d", len(form.Values["name_ar"]), len(f.NameAr))
	}
}

// The error summary lists the problems in the order of the form's fields,
// each linking to its input and named, unless its message names it
// already; a problem of a field the form does not show is listed unlinked.
func TestErrorSummaryLinksEachField(t *testing.T) {
	fr := testTranslator(t, "fr")
	form := formOf(courseForm{})
	form.Errors = map[string]string{
		"capacity":  fr.Problem("capacity", domain.Problem{Key: "text.not_a_number", Param: "abc"}),
		"code":      fr.Problem("code", domain.Problem{Key: "validation.required"}),
		"course_id": fr.Problem("course_id", domain.Problem{Key: "enrollment.course_full"}),
	}
	got := errorSummary(fr, form)
	want := []SummaryItem{
		{Href: "#f-code", Text: "Le champ « Code » est obligatoire."},
		{Href: "#f-capacity", Text: "Capacité : « abc » n'est pas un nombre."},
		{Text: "Formation : Cette formation est complète."},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("summary %+v,\nwant %+v", got, want)
	}
}
