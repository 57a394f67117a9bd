//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"takaffoul/domain"
	"takaffoul/repository"
)

// mediaBox is a PDF page's size in points: A4 is 595 × 842.
var mediaBox = regexp.MustCompile(`/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]`)

// The sign-in sheet prints on A4 in the reader's direction, without the
// site's header and navigation, with the trainees and blank lines.
func TestSignInSheetPrintsOnA4(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	trainee := domain.Trainee{Category: domain.InstitutionalActor, FullNameAr: ptr("فاطمة الزهراء بنعلي"),
		FullNameLatin: ptr("Hélène Aït-Lahcen"), Sex: domain.Female}
	var orgID int64
	must(t, s.store.DB().Get(&orgID, `SELECT id FROM organisations LIMIT 1`))
	trainee.OrganisationID = &orgID
	_, err := s.store.EnrollNew(ctx, s.course.ID, &trainee, repository.EnrollOptions{}, nil)
	must(t, err)

	b := browser(t, false)
	s.login(t, b, "trainer@e2e.ma")
	must(t, chromedp.Do(b,
		chromedp.Navigate(fmt.Sprintf("%s/sessions/%d/sign-in-sheet", s.base, s.session.ID)),
		chromedp.WaitVisible(chromedp.CSS(`table.sheet`)),
	))
	dir, err := chromedp.Run(b, chromedp.Evaluate[string](`document.documentElement.dir`))
	must(t, err)
	printButton, err := chromedp.Run(b, chromedp.Evaluate[bool](`document.querySelector('[data-print]').hidden`))
	must(t, err)
	rows, err := chromedp.Run(b, chromedp.Evaluate[int](`document.querySelectorAll('table.sheet tbody tr').length`))
	must(t, err)
	if dir != "rtl" || rows != 1+5 || printButton {
		t.Fatalf("dir %q, %d lines (want 1 trainee + 5 blank), print button hidden: %v", dir, rows, printButton)
	}
	must(t, chromedp.Do(b, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return err
	})))
	hidden, err := chromedp.Run(b, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('.site-header')).display + "/" +
		getComputedStyle(document.querySelector('.sheet-tools')).display`))
	must(t, err)
	if hidden != "none/none" {
		t.Fatalf("the printed sheet shows the site header or the tools: %s", hidden)
	}
	// The viewport, as printed (FullScreenshot crops right-to-left pages).
	png, err := chromedp.Run(b, chromedp.CaptureScreenshot())
	must(t, err)
	must(t, os.MkdirAll("artifacts", 0o755))
	must(t, os.WriteFile(filepath.Join("artifacts", "sign-in-sheet-ar-print.png"), png, 0o644))

	pdf, err := chromedp.Run(b, func(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
		res, err := cdp.Call(ctx, tg, page.PrintToPDF, page.PrintToPDFParams{PreferCSSPageSize: ptr(true)})
		return res.Data, err
	})
	must(t, err)
	must(t, os.WriteFile(filepath.Join("artifacts", "sign-in-sheet-ar.pdf"), pdf, 0o644))
	m := mediaBox.FindSubmatch(pdf)
	if m == nil {
		t.Fatal("no page size in the PDF")
	}
	w, _ := strconv.ParseFloat(string(m[1]), 64)
	h, _ := strconv.ParseFloat(string(m[2]), 64)
	if w < 594 || w > 597 || h < 841 || h > 843 {
		t.Fatalf("want an A4 page (595 × 842 pt), got %.1f × %.1f", w, h)
	}
	checkPrintedPages(t, pdfPages(t, filepath.Join("artifacts", "sign-in-sheet-ar.pdf")), s.course.Code, 1)
}

// A sheet longer than a page prints as the server cut it: as many sheets of
// paper as pages, each with "k / n" and the course code unbroken, in
// French as in Arabic.
func TestSignInSheetPrintsPageKOfN(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	var orgID int64
	must(t, s.store.DB().Get(&orgID, `SELECT id FROM organisations LIMIT 1`))
	// 20 people + 5 blank lines: 3 pages of 12 lines at most.
	for i := range 20 {
		p := domain.Trainee{Category: domain.InstitutionalActor, FullNameAr: ptr(fmt.Sprintf("مشاركة رقم %02d بنت عبد الرحمان", i)),
			FullNameLatin: ptr(fmt.Sprintf("Participante numéro %02d Benabderrahmane", i)), Sex: domain.Female, OrganisationID: &orgID}
		_, err := s.store.EnrollNew(ctx, s.course.ID, &p, repository.EnrollOptions{}, nil)
		must(t, err)
	}
	for _, who := range []struct{ email, lang string }{{"trainer@e2e.ma", "ar"}, {"coordinator@e2e.ma", "fr"}} {
		var userID int64
		must(t, s.store.DB().Get(&userID, `SELECT id FROM users WHERE email = $1`, who.email))
		must(t, s.store.SetUserLanguage(ctx, userID, who.lang))
		b := browser(t, false)
		s.login(t, b, who.email)
		must(t, chromedp.Do(b,
			chromedp.Navigate(fmt.Sprintf("%s/sessions/%d/sign-in-sheet", s.base, s.session.ID)),
			chromedp.WaitVisible(chromedp.CSS(`table.sheet`)),
		))
		pdf, err := chromedp.Run(b, func(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
			res, err := cdp.Call(ctx, tg, page.PrintToPDF, page.PrintToPDFParams{PreferCSSPageSize: ptr(true)})
			return res.Data, err
		})
		must(t, err)
		name := filepath.Join("artifacts", "sign-in-sheet-3-pages-"+who.lang+".pdf")
		must(t, os.MkdirAll("artifacts", 0o755))
		must(t, os.WriteFile(name, pdf, 0o644))
		pages := pdfPages(t, name)
		checkPrintedPages(t, pages, s.course.Code, 3)
		if title := map[string]string{"ar": "ورقة التوقيع", "fr": "Feuille d'émargement"}[who.lang]; !strings.Contains(pages[0], title) {
			t.Errorf("the %s sheet is not in its language:\n%s", who.lang, pages[0])
		}
	}
}

// pdfPages is the text of each page of a PDF, as poppler's pdftotext reads
// it (pages end in a form feed).
func pdfPages(t *testing.T, name string) []string {
	t.Helper()
	out, err := exec.Command("pdftotext", "-layout", name, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext (poppler-utils) %s: %v", name, err)
	}
	return strings.Split(strings.TrimRight(string(out), "\f"), "\f")
}

// checkPrintedPages wants n pages, page k showing "k / n" and the course
// code on one line.
func checkPrintedPages(t *testing.T, pages []string, code string, n int) {
	t.Helper()
	if len(pages) != n {
		t.Fatalf("want %d printed pages, got %d", n, len(pages))
	}
	for k, text := range pages {
		if want := fmt.Sprintf("%d / %d", k+1, n); !strings.Contains(text, want) {
			t.Errorf("printed page %d lacks %q:\n%s", k+1, want, text)
		}
		if !strings.Contains(text, code) {
			t.Errorf("printed page %d lacks the course code %q unbroken:\n%s", k+1, code, text)
		}
	}
}
