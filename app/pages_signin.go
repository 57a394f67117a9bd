package app

import (
	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// walkInRows is how many blank lines the sign-in sheet leaves for people
// who come without being enrolled (they are enrolled afterwards).
const walkInRows = 5

// signInSheetData is what the printable sheet shows.
type signInSheetData struct {
	*repository.SignInSheet
	Day     string     // the session's day and hours, in Africa/Casablanca
	Hours   string     // "09:00–12:00"
	WalkIns []struct{} // one element per blank line (CSS numbers every line)
}

// signInSheetPage shows a session's sign-in sheet, laid out for A4 paper:
// one line per enrolled trainee (name and organisation only: no phone or
// CIN on a sheet that goes round the room), an empty signature column and a
// few blank lines for walk-ins.
func (s *Server) signInSheetPage(c *fiber.Ctx) error {
	scope, err := s.scope(c)
	if err != nil {
		return err
	}
	sheet, err := s.store.SignInSheet(c.UserContext(), sessionOf(c).ID, scope, s.tr(c).Lang)
	if err != nil {
		return err
	}
	start, end := sheet.Session.StartsAt.In(casablanca), sheet.Session.EndsAt.In(casablanca)
	return s.render(c, "sessions/sign_in_sheet", &signInSheetData{SignInSheet: sheet, Day: start.Format(domain.DateLayout),
		Hours: start.Format("15:04") + "–" + end.Format("15:04"), WalkIns: make([]struct{}, walkInRows)})
}
