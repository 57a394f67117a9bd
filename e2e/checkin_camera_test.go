//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	qrcode "github.com/skip2/go-qrcode"

	"takaffoul/domain"
	"takaffoul/repository"
)

// The trainer's phone scans badges through its camera on the check-in page
// (issue 17, point 5). Chromium's fake camera plays a video the test makes:
// a badge of the course (1.5 s), nothing (2.5 s), a badge of another course
// (1.5 s), nothing (2.5 s), over and over. The page answers, in turn:
// present; another course's badge refused; then, when the first badge comes
// round again, already present. The database holds the one mark.
func TestCheckinScansBadgesThroughTheCamera(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	var orgID int64
	must(t, s.store.DB().Get(&orgID, `SELECT id FROM organisations LIMIT 1`))
	here := domain.Trainee{Category: domain.InstitutionalActor, FullNameAr: ptr("فاطمة الزهراء بنعلي"),
		FullNameLatin: ptr("Fatima Zahra Benali"), Sex: domain.Female, OrganisationID: &orgID}
	_, err := s.store.EnrollNew(ctx, s.course.ID, &here, repository.EnrollOptions{}, nil)
	must(t, err)
	other := s.course
	other.ID, other.Code = 0, "CP-CASA-2"
	must(t, s.store.CreateCourse(ctx, &other, nil))
	elsewhere := domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr("Stranger Elsewhere"),
		Sex: domain.Male, OrganisationID: &orgID}
	_, err = s.store.EnrollNew(ctx, other.ID, &elsewhere, repository.EnrollOptions{}, nil)
	must(t, err)
	codes, err := s.store.CheckinCodes(ctx, s.course.ID)
	must(t, err)
	otherCodes, err := s.store.CheckinCodes(ctx, other.ID)
	must(t, err)

	video := filepath.Join(t.TempDir(), "badges.y4m")
	must(t, writeBadgeVideo(video, []string{codes[here.ID].Token, otherCodes[elsewhere.ID].Token}))
	phone := browser(t, true,
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-video-capture", video))
	s.login(t, phone, "trainer@e2e.ma")
	must(t, chromedp.Do(phone,
		chromedp.Navigate(fmt.Sprintf("%s/sessions/%d/checkin", s.base, s.session.ID)),
		chromedp.WaitVisible(chromedp.CSS(`[data-scan-start]`)),
		chromedp.Click(chromedp.CSS(`[data-scan-start]`)),
	))

	// The log of answers, newest first: "outcome|sentence".
	want := []string{"checkin-checked_in|فاطمة الزهراء بنعلي: حاضر", "checkin-refused|هذه الشارة خاصة بدورة أخرى",
		"checkin-already_present|فاطمة الزهراء بنعلي مسجَّل حاضرًا من قبل"}
	var answers []string
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		answers, err = chromedp.Run(phone, chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll('[data-scan-log] li')).reverse().map(li => li.className + '|' + li.textContent)`))
		must(t, err)
		if len(answers) >= len(want) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	decoder, err := chromedp.Run(phone, chromedp.Evaluate[string](`document.querySelector('[data-scanner]').dataset.decoder || ''`))
	must(t, err)
	t.Logf("decoder %q, answers %q", decoder, answers)
	screenshot(t, phone, "checkin-camera-ar-phone")
	if len(answers) < len(want) {
		t.Fatalf("want at least %d answers from the camera, got %q", len(want), answers)
	}
	for i, w := range want {
		kind, sentence, _ := strings.Cut(w, "|")
		if !strings.HasPrefix(answers[i], kind+"|") || !strings.Contains(answers[i], sentence) {
			t.Errorf("answer %d: want %s «%s», got %q", i+1, kind, sentence, answers[i])
		}
	}
	var marks []string
	must(t, s.store.DB().Select(&marks, `SELECT e.trainee_id || ':' || a.status FROM attendance a JOIN enrollments e ON e.id = a.enrollment_id`))
	if len(marks) != 1 || marks[0] != fmt.Sprintf("%d:present", here.ID) {
		t.Errorf("want the one mark %d:present, got %q", here.ID, marks)
	}
	present, err := chromedp.Run(phone, chromedp.Evaluate[string](`document.querySelector('[data-checkin-present]').textContent`))
	must(t, err)
	if !strings.Contains(present, "1 / 1") {
		t.Errorf("the page counts %q present, want 1 / 1", present)
	}
	// The typed code, sent by the script without leaving the page: the
	// same answer (the camera stopped first, so that no scan comes between).
	must(t, chromedp.Do(phone, chromedp.Click(chromedp.CSS(`[data-scan-stop]`))))
	logged, err := chromedp.Run(phone, chromedp.Evaluate[int](`document.querySelectorAll('[data-scan-log] li').length`))
	must(t, err)
	must(t, chromedp.Do(phone,
		chromedp.SendKeys(chromedp.CSS(`#f-code`), strings.ToLower(codes[here.ID].ShortShown())),
		chromedp.Click(chromedp.CSS(`[data-checkin-form] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`[data-scan-log] li:nth-child(%d)`, min(logged+1, 8)))),
	))
	typed, err := chromedp.Run(phone, chromedp.Evaluate[string](`document.querySelector('[data-scan-log] li').className + '|' + location.pathname`))
	must(t, err)
	if want := fmt.Sprintf("checkin-already_present|/sessions/%d/checkin", s.session.ID); typed != want {
		t.Errorf("the typed code: got %q, want %q", typed, want)
	}
	// The badges the codes came from, as printed.
	must(t, chromedp.Do(phone, chromedp.Navigate(fmt.Sprintf("%s/courses/%d/badges", s.base, s.course.ID)),
		chromedp.WaitVisible(chromedp.CSS(`.badge svg.qr`))))
	screenshot(t, phone, "badges-ar-phone")
}

// Each badge is shown for badgeFrames frames, then a blank picture for
// blankFrames: the scanner sends a code again only once it has been out of
// sight (checkin.js, OUT_OF_SIGHT_MS = 1.5 s).
const (
	videoWidth, videoHeight, videoFPS = 320, 240, 10
	badgeFrames, blankFrames          = 15, 25
	moduleSize                        = 6 // pixels per module of the QR code
)

// writeBadgeVideo writes a Y4M video (the format Chromium's fake camera
// reads: a header line, then "FRAME" and the raw I420 picture of each
// frame) showing each code as a QR code in turn, with a blank between.
func writeBadgeVideo(name string, codes []string) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "YUV4MPEG2 W%d H%d F%d:1 Ip A1:1 C420jpeg\n", videoWidth, videoHeight, videoFPS)
	blank := lumaFrame(nil)
	for _, code := range codes {
		q, err := qrcode.New(code, qrcode.Medium)
		if err != nil {
			return err
		}
		picture := lumaFrame(q.Bitmap())
		for range badgeFrames {
			writeFrame(w, picture)
		}
		for range blankFrames {
			writeFrame(w, blank)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// lumaFrame is the Y plane of a white picture with the QR code's modules
// (its quiet zone included) drawn black in the middle; nil: all white.
func lumaFrame(bits [][]bool) []byte {
	const white, black = 235, 16 // video range: what a camera sends
	y := make([]byte, videoWidth*videoHeight)
	for i := range y {
		y[i] = white
	}
	size := len(bits) * moduleSize
	left, top := (videoWidth-size)/2, (videoHeight-size)/2
	for row := range bits {
		for col, on := range bits[row] {
			if !on {
				continue
			}
			for dy := range moduleSize {
				start := (top+row*moduleSize+dy)*videoWidth + left + col*moduleSize
				for dx := range moduleSize {
					y[start+dx] = black
				}
			}
		}
	}
	return y
}

// writeFrame writes one frame: the Y plane, then neutral U and V planes
// (a grey picture) at a quarter of its size each.
func writeFrame(w *bufio.Writer, luma []byte) {
	w.WriteString("FRAME\n")
	w.Write(luma)
	chroma := make([]byte, len(luma)/4)
	for i := range chroma {
		chroma[i] = 128
	}
	w.Write(chroma)
	w.Write(chroma)
}
