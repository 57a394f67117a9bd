//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"html"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
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
	// 20 people + 5 blank lines: 3 pages of 12 lines at most.
	enrolParticipants(t, s, 20)
	for _, who := range sheetReaders {
		_, _, name := printSheetAs(t, s, who.email, who.lang, "sign-in-sheet-3-pages-"+who.lang+".pdf")
		pages := pdfPages(t, name)
		checkPrintedPages(t, pages, s.course.Code, 3)
		if title := map[string]string{"ar": "ورقة التوقيع", "fr": "Feuille d'émargement"}[who.lang]; !strings.Contains(pages[0], title) {
			t.Errorf("the %s sheet is not in its language:\n%s", who.lang, pages[0])
		}
	}
}

// sheetReaders print the sign-in sheet: a trainer in Arabic, a coordinator
// in French.
var sheetReaders = []struct{ email, lang string }{{"trainer@e2e.ma", "ar"}, {"coordinator@e2e.ma", "fr"}}

// enrolParticipants enrols n more people, with long names, in the site's course.
func enrolParticipants(t *testing.T, s *site, n int) {
	t.Helper()
	var orgID int64
	must(t, s.store.DB().Get(&orgID, `SELECT id FROM organisations LIMIT 1`))
	for i := range n {
		p := domain.Trainee{Category: domain.InstitutionalActor, FullNameAr: ptr(fmt.Sprintf("مشاركة رقم %02d بنت عبد الرحمان", i)),
			FullNameLatin: ptr(fmt.Sprintf("Participante numéro %02d Benabderrahmane", i)), Sex: domain.Female, OrganisationID: &orgID}
		_, err := s.store.EnrollNew(context.Background(), s.course.ID, &p, repository.EnrollOptions{}, nil)
		must(t, err)
	}
}

// printSheetAs opens the session's sign-in sheet as the user email, in lang,
// and prints it to PDF as the browser does, kept under artifacts/ as file:
// the browser (still on the sheet), the PDF and its path.
func printSheetAs(t *testing.T, s *site, email, lang, file string) (b context.Context, pdf []byte, name string) {
	t.Helper()
	var userID int64
	must(t, s.store.DB().Get(&userID, `SELECT id FROM users WHERE email = $1`, email))
	must(t, s.store.SetUserLanguage(context.Background(), userID, lang))
	b = browser(t, false)
	s.login(t, b, email)
	must(t, chromedp.Do(b,
		chromedp.Navigate(fmt.Sprintf("%s/sessions/%d/sign-in-sheet", s.base, s.session.ID)),
		chromedp.WaitVisible(chromedp.CSS(`table.sheet`)),
	))
	pdf, err := chromedp.Run(b, func(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
		res, err := cdp.Call(ctx, tg, page.PrintToPDF, page.PrintToPDFParams{PreferCSSPageSize: ptr(true)})
		return res.Data, err
	})
	must(t, err)
	name = filepath.Join("artifacts", file)
	must(t, os.MkdirAll("artifacts", 0o755))
	must(t, os.WriteFile(name, pdf, 0o644))
	return b, pdf, name
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

// pxPerCm is CSS pixels in a centimetre (96 px to the inch).
const pxPerCm = 96 / 2.54

// printWidthPx is the width of the sheet's printed A4 page inside the
// margins of its @page rule (sign-in-sheet.css: 210 mm − 2 × 12 mm).
const printWidthPx = (21.0 - 2*1.2) * pxPerCm

// A sheet of 40 people prints with room to sign: on every page the signature
// column is at least 5 cm wide on A4, in Arabic and in French, measured twice
// — in the page laid out for print (print media, the printed width), and in
// the PDF, where the column's header word lies at least 5 cm from the
// table's far edge — and every printed page ends with the trainer's box, its
// name line and its signature line below the lines to sign.
func TestSignInSheetSignatureColumnAndTrainerBoxPrint(t *testing.T) {
	s := newSite(t)
	// 40 people + 5 blank lines: 4 pages of 12 lines at most.
	_, err := s.store.DB().Exec(`UPDATE courses SET capacity = 40 WHERE id = $1`, s.course.ID)
	must(t, err)
	enrolParticipants(t, s, 40)
	const minCm, pages, lines = 5.0, 4, 40 + 5
	for _, who := range sheetReaders {
		// The PDF first, as the browser prints it.
		b, pdf, name := printSheetAs(t, s, who.email, who.lang, "sign-in-sheet-4-pages-"+who.lang+".pdf")
		checkPrintedPages(t, pdfPages(t, name), s.course.Code, pages)
		checkPrintedSignatureRoom(t, who.lang, pdfWords(t, name), pdfPageWidth(t, pdf), minCm, lines, 12)

		// Then the page laid out for print, at the printed width: the
		// signature's cells (its header and every line, on every page), the
		// table's width, the blank lines of the trainer's box.
		must(t, chromedp.Do(b, chromedp.EmulateViewport(int64(math.Round(printWidthPx)), 1123)))
		must(t, chromedp.Do(b, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
			return err
		})))
		widths := func(css string) []float64 {
			w, err := chromedp.Run(b, chromedp.Evaluate[[]float64](fmt.Sprintf(
				`[...document.querySelectorAll(%q)].map(e => e.getBoundingClientRect().width)`, css)))
			must(t, err)
			return w
		}
		tables, signatures, blanks := widths(`table.sheet`), widths(`table.sheet .signature`), widths(`.trainer-box-fields .blank`)
		if len(tables) != pages || len(signatures) != pages+lines || len(blanks) != 2*pages {
			t.Fatalf("%s: %d tables, %d signature cells, %d blank lines in the trainer's boxes", who.lang, len(tables), len(signatures), len(blanks))
		}
		for _, w := range tables {
			if math.Abs(w-printWidthPx) > 2 {
				t.Errorf("%s: a table %.0f px wide where the printed page is %.0f px", who.lang, w, printWidthPx)
			}
		}
		if narrowest := slices.Min(signatures); narrowest/pxPerCm < minCm {
			t.Errorf("%s: a signature cell is %.2f cm wide in print, want at least %.0f cm", who.lang, narrowest/pxPerCm, minCm)
		}
		for i, w := range blanks {
			if w/pxPerCm < minCm {
				t.Errorf("%s: the trainer's box's blank line %d (%s) is %.2f cm wide in print, want at least %.0f cm",
					who.lang, i/2+1, []string{"name", "signature"}[i%2], w/pxPerCm, minCm)
			}
		}
		t.Logf("%s, print layout: signature column %.2f cm (table %.2f cm); trainer's box: name line %.2f cm, signature line %.2f cm",
			who.lang, signatures[0]/pxPerCm, tables[0]/pxPerCm, blanks[0]/pxPerCm, blanks[1]/pxPerCm)
	}
}

// runeKey is a word's letters in a canonical order, without colons:
// pdftotext -bbox gives Arabic words in the order of their glyphs (from the
// left), not the order they are read in.
func runeKey(s string) string {
	r := []rune(strings.ReplaceAll(s, ":", ""))
	slices.Sort(r)
	return string(r)
}

// checkPrintedSignatureRoom reads each printed page's geometry: the
// signature column's header lies at least minCm from the table's far edge
// (the margin of the page: the table spans it), so that the column is at
// least that wide; below the last line, the trainer's box, its title, then
// on one line the name's label and the signature's, in reading order.
func checkPrintedSignatureRoom(t *testing.T, lang string, pages [][]pdfWord, pageWidth, minCm float64, lines, linesPerPage int) {
	t.Helper()
	labels := map[string]struct {
		header, title string
		name          []string
		signature     string
	}{
		"ar": {"التوقيع", "الحصة", []string{"الاسم", "الكامل:"}, "التوقيع:"},
		"fr": {"Signature", "Formateur", []string{"Nom", "et", "prénom"}, "Signature"},
	}[lang]
	const ptPerCm = 72 / 2.54
	margin := 1.2 * ptPerCm // sign-in-sheet.css: @page margin 12 mm
	find := func(words []pdfWord, text string, below float64) []pdfWord {
		var found []pdfWord
		for _, w := range words {
			if runeKey(w.text) == runeKey(text) && w.yMin > below && (text != labels.header || !strings.Contains(w.text, ":")) {
				found = append(found, w)
			}
		}
		return found
	}
	for k, words := range pages {
		// The foot of the table: its last line's number.
		last, foot := fmt.Sprint(min(linesPerPage*(k+1), lines)), 0.0
		for _, w := range words {
			if w.text == last {
				foot = max(foot, w.yMax)
			}
		}
		if foot == 0 {
			t.Errorf("%s, printed page %d: no line %s", lang, k+1, last)
			continue
		}
		// The column's header: the word above the lines nearest to them
		// (the sheet's title may hold the same word).
		var h *pdfWord
		for _, w := range find(words, labels.header, 0) {
			if w.yMax < foot && (h == nil || w.yMin > h.yMin) {
				h = &w
			}
		}
		if h == nil {
			t.Errorf("%s, printed page %d: no signature column header %q", lang, k+1, labels.header)
			continue
		}
		room := pageWidth - margin - h.xMin // left to right: the last column
		if lang == "ar" {
			room = h.xMax - margin // right to left: the last column is on the left
		}
		if room/ptPerCm < minCm {
			t.Errorf("%s, printed page %d: the signature column has %.2f cm of room in the PDF, want at least %.0f cm", lang, k+1, room/ptPerCm, minCm)
		}
		if k == 0 {
			t.Logf("%s, PDF: the signature column's header lies %.2f cm from the table's edge", lang, room/ptPerCm)
		}
		title := find(words, labels.title, foot)
		if len(title) != 1 {
			t.Errorf("%s, printed page %d: want the trainer's box's title %q below the lines, found %d", lang, k+1, labels.title, len(title))
			continue
		}
		below := title[0].yMax
		sig := find(words, labels.signature, below)
		if len(sig) != 1 {
			t.Errorf("%s, printed page %d: want the trainer's box's signature label %q below its title, found %d", lang, k+1, labels.signature, len(sig))
			continue
		}
		for _, part := range labels.name {
			name := find(words, part, below)
			if len(name) != 1 || name[0].yMin > sig[0].yMax || sig[0].yMin > name[0].yMax {
				t.Errorf("%s, printed page %d: want the name label's %q on the line of the signature label, found %v", lang, k+1, part, name)
				continue
			}
			if first := name[0].xMax < sig[0].xMin; first != (lang != "ar") {
				t.Errorf("%s, printed page %d: the name label's %q and the signature label are not in reading order", lang, k+1, part)
			}
		}
	}
}

// pdfPageWidth is the width of a PDF's page, in points.
func pdfPageWidth(t *testing.T, pdf []byte) float64 {
	t.Helper()
	m := mediaBox.FindSubmatch(pdf)
	if m == nil {
		t.Fatal("no page size in the PDF")
	}
	w, _ := strconv.ParseFloat(string(m[1]), 64)
	return w
}

// pdfWord is a word of a PDF page and its box, in points from the page's
// top left corner.
type pdfWord struct {
	text                   string
	xMin, yMin, xMax, yMax float64
}

var bboxWord = regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>`)

// pdfWords is the words of each page of a PDF, with their boxes, as
// pdftotext -bbox reads them.
func pdfWords(t *testing.T, name string) [][]pdfWord {
	t.Helper()
	out, err := exec.Command("pdftotext", "-bbox", name, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext -bbox %s: %v", name, err)
	}
	var pages [][]pdfWord
	for _, pg := range strings.Split(string(out), "<page ")[1:] {
		var words []pdfWord
		for _, m := range bboxWord.FindAllStringSubmatch(pg, -1) {
			w := pdfWord{text: html.UnescapeString(m[5])}
			for i, p := range []*float64{&w.xMin, &w.yMin, &w.xMax, &w.yMax} {
				*p, _ = strconv.ParseFloat(m[i+1], 64)
			}
			words = append(words, w)
		}
		pages = append(pages, words)
	}
	return pages
}
