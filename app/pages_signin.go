package app

import (
	"fmt"
	"html/template"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// walkInRows is how many blank lines the sign-in sheet leaves for people
// who come without being enrolled (they are enrolled afterwards).
const walkInRows = 5

// signInLinesPerPage is how many lines one A4 page of the sheet holds under
// its header and above the trainer's box, each line tall enough to sign on
// (sign-in-sheet.css sizes them in millimetres to match). The server cuts
// the pages itself: Chromium's print has no reliable "page k of n" counter
// (CSS margin boxes), and a page that knows its number can carry it.
const signInLinesPerPage = 12

// signInSheetData is what the printable sheet shows.
type signInSheetData struct {
	*repository.SignInSheet
	Day       string       // the session's day and hours, in Africa/Casablanca
	Hours     string       // "09:00–12:00"
	Reference string       // the session's reference, "S-42": its number in the records (and its URL)
	Pages     []signInPage // the sheet as printed, one element per A4 page
}

// signInPage is one printed page of the sheet: its number, the count of
// pages, and its lines.
type signInPage struct {
	Number, Of int
	Lines      []signInLine
}

// signInLine is one numbered line of the sheet: an enrolled trainee, or a
// blank line for a walk-in when Trainee is nil.
type signInLine struct {
	Number  int
	Trainee *repository.SignInTrainee
	Code    domain.CheckinCode // the trainee's check-in code (pages_checkin.go)
	QR      template.HTML      // Code's token as a QR code
}

// sessionReference is how a filed sheet names its session: the session's
// number in the records, which never changes and leads back to
// /sessions/<id>.
func sessionReference(id int64) string { return fmt.Sprintf("S-%d", id) }

// paginateSignIn numbers the trainees' lines then walkIns blank ones, and
// cuts them into pages of perPage lines; there is always at least one page.
func paginateSignIn(trainees []repository.SignInTrainee, walkIns, perPage int) []signInPage {
	lines := make([]signInLine, 0, len(trainees)+walkIns)
	for i := range trainees {
		lines = append(lines, signInLine{Number: len(lines) + 1, Trainee: &trainees[i]})
	}
	for range walkIns {
		lines = append(lines, signInLine{Number: len(lines) + 1})
	}
	count := max(1, (len(lines)+perPage-1)/perPage)
	pages := make([]signInPage, count)
	for k := range pages {
		pages[k] = signInPage{Number: k + 1, Of: count, Lines: lines[min(k*perPage, len(lines)):min((k+1)*perPage, len(lines))]}
	}
	return pages
}

// signInSheetPage shows a session's sign-in sheet, laid out for A4 paper:
// one line per enrolled trainee (name and organisation only: no phone or
// CIN on a sheet that goes round the room), an empty signature column and a
// few blank lines for walk-ins. Every page carries the course code, the
// session's date and reference, "k / n" and a box for the trainer.
func (s *Server) signInSheetPage(c *fiber.Ctx) error {
	scope, err := s.scope(c)
	if err != nil {
		return err
	}
	sheet, err := s.store.SignInSheet(c.UserContext(), sessionOf(c).ID, scope, s.tr(c).Lang)
	if err != nil {
		return err
	}
	pages := paginateSignIn(sheet.Trainees, walkInRows, signInLinesPerPage)
	if err := s.addCheckinCodes(c, sheet.Course.ID, pages); err != nil {
		return err
	}
	start, end := sheet.Session.StartsAt.In(casablanca), sheet.Session.EndsAt.In(casablanca)
	return s.render(c, "sessions/sign_in_sheet", &signInSheetData{SignInSheet: sheet, Day: Date(start),
		Hours: start.Format("15:04") + "–" + end.Format("15:04"), Reference: sessionReference(sheet.Session.ID),
		Pages: pages})
}

// addCheckinCodes gives each trainee's line their check-in code, as a QR
// code the trainer's phone scans at the door and as the short code typed
// when it cannot (made on the first printing: Store.CheckinCodes).
func (s *Server) addCheckinCodes(c *fiber.Ctx, courseID int64, pages []signInPage) error {
	codes, err := s.store.CheckinCodes(c.UserContext(), courseID)
	if err != nil {
		return err
	}
	label := s.tr(c).T("checkin.qr_label")
	for _, pg := range pages {
		for i := range pg.Lines {
			line := &pg.Lines[i]
			if line.Trainee == nil {
				continue
			}
			code, ok := codes[line.Trainee.TraineeID]
			if !ok {
				continue // enrolled since the codes were read: on the next printing
			}
			if line.QR, err = qrSVG(code.Token, label); err != nil {
				return err
			}
			line.Code = code
		}
	}
	return nil
}
