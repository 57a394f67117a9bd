//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
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
}
