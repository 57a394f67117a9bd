package app

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"takaffoul/domain"
	"takaffoul/views"
)

func testTranslator(t *testing.T, lang string) *Translator {
	t.Helper()
	bundle, err := loadMessages(views.FS)
	if err != nil {
		t.Fatal(err)
	}
	return newTranslator(bundle, lang, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// Arabic counts have six forms; French three; English two.
func TestPluralForms(t *testing.T) {
	cases := map[string]map[int]string{
		"ar": {0: "لا يوجد أي مستخدم", 1: "مستخدم واحد", 2: "مستخدمان", 3: "3 مستخدمين", 10: "10 مستخدمين",
			11: "11 مستخدمًا", 99: "99 مستخدمًا", 100: "100 مستخدم", 102: "102 مستخدم", 103: "103 مستخدمين"},
		"fr": {0: "0 utilisateur", 1: "1 utilisateur", 2: "2 utilisateurs", 1000000: "1000000 d'utilisateurs"},
		"en": {1: "1 user", 2: "2 users", 0: "0 users"},
	}
	for lang, counts := range cases {
		tr := testTranslator(t, lang)
		for n, want := range counts {
			if got := tr.N("users.count", n); got != want {
				t.Errorf("%s, %d: want %q, got %q", lang, n, want, got)
			}
		}
	}
}

func TestProblemMessages(t *testing.T) {
	ar, fr := testTranslator(t, "ar"), testTranslator(t, "fr")
	v := &domain.ValidationError{Fields: map[string]domain.Problem{
		"name":             {Key: "validation.max", Param: "200"},
		"email":            {Key: "validation.required"},
		"marks[3].status":  {Key: "attendance.status_unknown"},
		"birth_year":       {Key: "validation.gte", Param: "1900"},
		"national_id":      {Key: "trainee.child_refuses_field"},
		"completion_fancy": {Key: "validation.required"},
	}}
	got := fr.Problems(v)
	want := map[string]string{
		"name":        "Le champ « Nom complet » doit faire au plus 200 caractères.",
		"email":       "Le champ « Adresse e-mail » est obligatoire.",
		"birth_year":  "Le champ « Année de naissance » doit être supérieur ou égal à 1900.",
		"national_id": "Cette information n'est jamais conservée pour un enfant parlementaire.",
	}
	for field, msg := range want {
		if got[field] != msg {
			t.Errorf("fr %s: want %q, got %q", field, msg, got[field])
		}
	}
	if got := ar.Problems(v)["name"]; got != "يجب ألا يتجاوز حقل «الاسم الكامل» 200 حرف." {
		t.Errorf("ar max 200: %q", got)
	}
	if got := ar.Problem("code", domain.Problem{Key: "validation.max", Param: "60"}); got != "يجب ألا يتجاوز حقل «الرمز» 60 حرفًا." {
		t.Errorf("ar max 60: %q", got)
	}
	if got := fr.FieldName("marks[3].status"); got != "Statut" {
		t.Errorf("nested field name: %q", got)
	}
	// An unknown key shows itself rather than crashing or going blank.
	if got := fr.T("no.such.key"); got != "no.such.key" {
		t.Errorf("missing key: %q", got)
	}
}

// Times are shown in Africa/Casablanca (UTC+1 outside Ramadan), the day
// as people write it.
func TestDatesInCasablanca(t *testing.T) {
	at := time.Date(2026, 1, 15, 23, 30, 0, 0, time.UTC)
	if got := DateTime(at); got != "16/01/2026 00:30" {
		t.Errorf("DateTime: %q", got)
	}
	if got := Date(at); got != "16/01/2026" {
		t.Errorf("Date: %q", got)
	}
	if DateTime(time.Time{}) != "" {
		t.Error("a zero time is shown as nothing")
	}
}
