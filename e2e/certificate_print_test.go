//go:build e2e

package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"takaffoul/domain"
	"takaffoul/repository"
)

// onePage is pdfinfo's line for a one-page document.
var onePage = regexp.MustCompile(`(?m)^Pages:\s+1$`)

// A certificate prints on one A4 page in Arabic and in French (the page's
// language first, both always there), its Arabic shaped by the browser;
// its PNG goes to artifacts/ and its QR code, read back from the PNG,
// holds the address of its public verify page.
func TestCertificatePrintsOnOneA4Page(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	var orgID, coordinatorID int64
	must(t, s.store.DB().Get(&orgID, `SELECT id FROM organisations LIMIT 1`))
	must(t, s.store.DB().Get(&coordinatorID, `SELECT id FROM users WHERE email = 'coordinator@e2e.ma'`))
	fatima := domain.Trainee{Category: domain.InstitutionalActor, FullNameAr: ptr("فاطمة الزهراء بنعلي"),
		FullNameLatin: ptr("Hélène Aït-Lahcen"), Sex: domain.Female, OrganisationID: &orgID}
	_, err := s.store.EnrollNew(ctx, s.course.ID, &fatima, repository.EnrollOptions{}, nil)
	must(t, err)
	must(t, s.store.SaveAttendance(ctx, s.session.ID, []repository.Mark{{TraineeID: fatima.ID, Status: domain.Present}}, &coordinatorID))
	run, err := s.store.IssueCertificates(ctx, s.course.ID, &coordinatorID)
	must(t, err)
	if run.Issued != 1 {
		t.Fatalf("issue: %+v", run)
	}
	certs, err := s.store.CourseCertificates(ctx, s.course.ID)
	must(t, err)
	cert := certs[0]
	must(t, os.MkdirAll("artifacts", 0o755))

	for _, lang := range []string{"ar", "fr"} {
		must(t, s.store.SetUserLanguage(ctx, coordinatorID, lang))
		b := browser(t, false)
		s.login(t, b, "coordinator@e2e.ma")
		must(t, chromedp.Do(b,
			chromedp.Navigate(fmt.Sprintf("%s/courses/%d/certificates/%d", s.base, s.course.ID, cert.ID)),
			chromedp.WaitVisible(chromedp.CSS(`article.certificate`)),
		))
		pdf, err := chromedp.Run(b, func(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
			res, err := cdp.Call(ctx, tg, page.PrintToPDF, page.PrintToPDFParams{PreferCSSPageSize: ptr(true)})
			return res.Data, err
		})
		must(t, err)
		name := filepath.Join("artifacts", "certificate-"+lang+".pdf")
		must(t, os.WriteFile(name, pdf, 0o644))

		info, err := exec.Command("pdfinfo", name).Output()
		if err != nil {
			t.Fatalf("pdfinfo (poppler-utils): %v", err)
		}
		if !onePage.Match(info) || !strings.Contains(string(info), "(A4)") {
			t.Fatalf("the %s certificate is not one A4 page:\n%s", lang, info)
		}
		text := strings.Join(pdfPages(t, name), "")
		for _, want := range []string{cert.Number, "Attestation de formation", "Hélène Aït-Lahcen", "Formation de Casablanca",
			"Actrice institutionnelle"} {
			if !strings.Contains(text, want) {
				t.Errorf("the %s certificate's PDF lacks %q:\n%s", lang, want, text)
			}
		}
		// Arabic text extracted from a PDF comes out in logical order only
		// when the glyphs were shaped and mapped: a word read back whole
		// is the sign the shaping worked.
		// The holder is a woman: the Arabic agrees (بصفتها فاعلة مؤسساتية، قد تابعت).
		for _, word := range []string{"شهادة", "تكوين", "فاطمة", "بصفتها", "فاعلة", "مؤسساتية", "تابعت"} {
			if !strings.Contains(text, word) {
				t.Errorf("the %s certificate's PDF does not read back %q:\n%s", lang, word, text)
			}
		}
		png := filepath.Join("artifacts", "certificate-"+lang)
		if out, err := exec.Command("pdftoppm", "-png", "-r", "110", "-singlefile", name, png).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v %s", err, out)
		}
		if got := readQR(t, b, png+".png"); got != s.base+"/verify/"+cert.Code {
			t.Errorf("the %s certificate's QR code holds %q, want its verify address", lang, got)
		}
	}
}

// readQR decodes the QR code of a PNG with the jsQR the check-in page
// vendors, in the page open in b.
func readQR(t *testing.T, b context.Context, pngFile string) string {
	t.Helper()
	data, err := os.ReadFile(pngFile)
	must(t, err)
	js, err := os.ReadFile(filepath.Join("..", "views", "static", "vendor", "jsqr", "jsQR.min.js"))
	must(t, err)
	_, err = chromedp.Run(b, chromedp.Evaluate[any](string(js)+";0"))
	must(t, err)
	script := `new Promise((resolve) => {
	  const img = new Image();
	  img.onload = () => {
	    const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
	    const g = c.getContext('2d'); g.drawImage(img, 0, 0);
	    const d = g.getImageData(0, 0, c.width, c.height);
	    const r = jsQR(d.data, d.width, d.height);
	    resolve(r ? r.data : '');
	  };
	  img.onerror = () => resolve('');
	  img.src = 'data:image/png;base64,` + base64.StdEncoding.EncodeToString(data) + `';
	})`
	got, err := chromedp.Run(b, chromedp.Evaluate[string](script, chromedp.EvalAwaitPromise))
	must(t, err)
	return got
}
