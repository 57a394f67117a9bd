package app_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"takaffoul/domain"
	"takaffoul/repository"
)

// linesPerPage mirrors app.signInLinesPerPage: what one A4 page holds.
const linesPerPage, walkIns = 12, 5

// sheetPages cuts a sign-in sheet's HTML into its printed pages.
var sheetPage = regexp.MustCompile(`(?s)<article class="sheet-page".*?</article>`)

// Every printed page of a sign-in sheet stands on its own when filed: the
// course code (in an element that never wraps), the session's date and
// reference, "k / n" and a box for the trainer; the lines run on from page
// to page, a page holding at most linesPerPage of them.
func TestSignInSheetPagesStandAlone(t *testing.T) {
	t.Parallel()
	env := newExportEnv(t)
	ctx := context.Background()
	for _, people := range []int{0, 1, linesPerPage - walkIns, linesPerPage - walkIns + 1, 2*linesPerPage - walkIns + 3} {
		code := fmt.Sprintf("PP-2019-RABAT-%02d", people)
		course := env.newCourse(t, code)
		session := env.newSession(t, course.ID)
		if err := env.store.AssignTrainer(ctx, course.ID, env.trainerID, nil); err != nil {
			t.Fatal(err)
		}
		for i := range people {
			p := domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr(fmt.Sprintf("Person %02d", i)),
				FullNameAr: ptr(fmt.Sprintf("مشارك %02d", i)), Sex: domain.Female, OrganisationID: &env.institution.ID}
			if _, err := env.store.EnrollNew(ctx, course.ID, &p, repository.EnrollOptions{}, nil); err != nil {
				t.Fatal(err)
			}
		}
		lines := people + walkIns
		wantPages := (lines + linesPerPage - 1) / linesPerPage
		for lang, cl := range map[string]*client{"fr": env.coordinator, "ar": env.trainer} {
			r := cl.get(fmt.Sprintf("/sessions/%d/sign-in-sheet", session.ID))
			expectStatus(t, lang+" sheet", r, 200)
			pages := sheetPage.FindAllString(r.Body, -1)
			if len(pages) != wantPages {
				t.Fatalf("%s, %d people: want %d pages, got %d", lang, people, wantPages, len(pages))
			}
			number := 0
			for k, pg := range pages {
				for _, want := range []string{
					`<bdi dir="ltr" class="course-code">` + code + `</bdi>`,
					`<bdi dir="ltr" class="session-day">05/03/2019</bdi>`,
					fmt.Sprintf(`<bdi dir="ltr" class="session-ref">S-%d</bdi>`, session.ID),
					fmt.Sprintf(`<bdi dir="ltr" class="page-of">%d / %d</bdi>`, k+1, wantPages),
					`class="trainer-box"`,
				} {
					if !strings.Contains(pg, want) {
						t.Errorf("%s, %d people, page %d lacks %s", lang, people, k+1, want)
					}
				}
				rows := strings.Count(pg, `<td class="signature"></td>`)
				if want := min(linesPerPage, lines-k*linesPerPage); rows != want {
					t.Errorf("%s, %d people, page %d: want %d lines, got %d", lang, people, k+1, want, rows)
				}
				// Numbered on from one page to the next.
				for _, m := range regexp.MustCompile(`<td class="n">(\d+)</td>`).FindAllStringSubmatch(pg, -1) {
					if number++; m[1] != fmt.Sprint(number) {
						t.Fatalf("%s, %d people, page %d: line %s where %d was expected", lang, people, k+1, m[1], number)
					}
				}
			}
			if number != lines || strings.Count(r.Body, `class="walk-in"`) != walkIns {
				t.Errorf("%s, %d people: %d numbered lines, %d blank ones", lang, people, number, strings.Count(r.Body, `class="walk-in"`))
			}
		}
	}
	css := env.coordinator.get("/static/sign-in-sheet.css")
	for _, want := range []string{".course-code, .session-ref, .session-day, .session-hours, .page-of { white-space: nowrap; }", "break-after: page"} {
		if !strings.Contains(css.Body, want) {
			t.Errorf("the sheet's stylesheet lacks %q", want)
		}
	}
}

// trainerBox is the trainer's box of one printed page.
var trainerBox = regexp.MustCompile(`(?s)<div class="trainer-box">.*?</div>\s*</div>`)

// Every printed page of the sheet (the template repeats the box on each
// page, not only on the last) ends with the trainer's box: its title, then a
// labelled blank line for the trainer's name and one for the signature, in
// the reader's language.
func TestSignInSheetTrainerBoxOnEveryPage(t *testing.T) {
	t.Parallel()
	env := newExportEnv(t)
	ctx := context.Background()
	course := env.newCourse(t, "PP-2019-BOX-01")
	session := env.newSession(t, course.ID)
	if err := env.store.AssignTrainer(ctx, course.ID, env.trainerID, nil); err != nil {
		t.Fatal(err)
	}
	// 20 people + 5 blank lines: 3 pages.
	for i := range 20 {
		p := domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr(fmt.Sprintf("Person %02d", i)),
			FullNameAr: ptr(fmt.Sprintf("مشارك %02d", i)), Sex: domain.Female, OrganisationID: &env.institution.ID}
		if _, err := env.store.EnrollNew(ctx, course.ID, &p, repository.EnrollOptions{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	labels := map[string][3]string{ // title, name, signature (views/locales/signin.*.json)
		"ar": {"المكوّن(ة) المسؤول(ة) عن الحصة", "الاسم الكامل:", "التوقيع:"},
		"fr": {"Formateur ou formatrice responsable de la séance", "Nom et prénom :", "Signature :"},
		"en": {"Trainer in charge of the session", "Full name:", "Signature:"},
	}
	for _, lang := range []string{"ar", "fr", "en"} {
		if err := env.store.SetUserLanguage(ctx, env.trainerID, lang); err != nil {
			t.Fatal(err)
		}
		r := env.trainer.get(fmt.Sprintf("/sessions/%d/sign-in-sheet", session.ID))
		expectStatus(t, lang+" sheet", r, 200)
		pages := sheetPage.FindAllString(r.Body, -1)
		if len(pages) != 3 {
			t.Fatalf("%s: want 3 pages, got %d", lang, len(pages))
		}
		l := labels[lang]
		want := regexp.MustCompile(`(?s)^<div class="trainer-box">\s*` +
			`<p class="trainer-box-title">` + regexp.QuoteMeta(l[0]) + `</p>\s*` +
			`<div class="trainer-box-fields">\s*` +
			`<p><span>` + regexp.QuoteMeta(l[1]) + `</span><span class="blank"></span></p>\s*` +
			`<p><span>` + regexp.QuoteMeta(l[2]) + `</span><span class="blank"></span></p>\s*` +
			`</div>\s*</div>$`)
		for k, pg := range pages {
			boxes := trainerBox.FindAllString(pg, -1)
			if len(boxes) != 1 {
				t.Errorf("%s, page %d: want one trainer's box, got %d", lang, k+1, len(boxes))
				continue
			}
			if !want.MatchString(boxes[0]) {
				t.Errorf("%s, page %d: the trainer's box lacks its title, a name line or a signature line in %s:\n%s", lang, k+1, lang, boxes[0])
			}
			// The box follows the table: at the foot of the page.
			if strings.Index(pg, boxes[0]) < strings.Index(pg, "</table>") {
				t.Errorf("%s, page %d: the trainer's box comes before the lines", lang, k+1)
			}
		}
	}
}
