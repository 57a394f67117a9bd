package app

import (
	"html/template"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// Check-in at the door (issue 17, point 5): the trainer's phone scans the
// QR code of a participant's badge or sign-in sheet line (checkin.js), or
// the trainer types its short code (a form that works without JavaScript).
// One code, one request, one transaction: repository.Store.CheckIn. The
// offline queue can send the same request later (POST the code as JSON).

// checkinPolicy is the Permissions-Policy of the check-in page alone: its
// own script may use the camera. Every other page keeps camera=().
const checkinPolicy = "camera=(self), microphone=(), geolocation=()"

// checkinPageData is the check-in page of one session.
type checkinPageData struct {
	Course   *domain.Course
	Session  *domain.Session
	Enrolled int // active enrolments
	Present  int // of whom marked present or late
	Result   *checkinShown
}

// checkinShown is what the last code did, as the page says it.
type checkinShown struct {
	Outcome domain.CheckinOutcome
	Message string
}

func (s *Server) checkinPageData(c *fiber.Ctx) (*checkinPageData, error) {
	course, err := s.course(c)
	if err != nil {
		return nil, err
	}
	marks, err := s.store.SessionAttendance(c.UserContext(), sessionOf(c).ID)
	if err != nil {
		return nil, err
	}
	data := &checkinPageData{Course: course, Session: sessionOf(c), Enrolled: len(marks)}
	for _, m := range marks {
		if m.Status != nil && (*m.Status == domain.Present || *m.Status == domain.Late) {
			data.Present++
		}
	}
	return data, nil
}

// checkinPage shows the camera (where the phone has one and the script
// runs) and the typed code's form.
func (s *Server) checkinPage(c *fiber.Ctx) error {
	data, err := s.checkinPageData(c)
	if err != nil {
		return err
	}
	c.Set("Permissions-Policy", checkinPolicy)
	return s.renderForm(c, "sessions/checkin", data, NewForm(map[string]string{"code": ""}), nil)
}

// checkinForm takes one code for the session: typed into the form (the
// page again, saying what it did) or sent by the page's script (JSON,
// checkinAnswer). A refused code changes nothing and says why.
func (s *Server) checkinForm(c *fiber.Ctx) error {
	typed := c.FormValue("code")
	result, err := s.checkIn(c, typed)
	if wantsJSON(c) {
		if err != nil {
			return err
		}
		return c.JSON(s.checkinAnswer(c, result))
	}
	c.Set("Permissions-Policy", checkinPolicy)
	if err != nil {
		form := NewForm(map[string]string{"code": typed})
		return s.renderFormAgain(c, "sessions/checkin", form, err, func() (any, error) { return s.checkinPageData(c) })
	}
	data, err := s.checkinPageData(c)
	if err != nil {
		return err
	}
	data.Result = &checkinShown{Outcome: result.Outcome, Message: checkinMessage(s.tr(c), result)}
	return s.renderForm(c, "sessions/checkin", data, NewForm(map[string]string{"code": ""}), nil)
}

// checkinInput is the API's body: {"code": "TK1…"} or {"code": "K7Q-M4X"}.
type checkinInput struct {
	Code string `json:"code"`
}

// apiCheckin is POST /api/v1/sessions/:id/checkin: checkinForm for
// scripts and the offline queue, the code in a JSON body.
func (s *Server) apiCheckin(c *fiber.Ctx) error {
	var in checkinInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	result, err := s.checkIn(c, in.Code)
	if err != nil {
		return err
	}
	return c.JSON(s.checkinAnswer(c, result))
}

// checkIn reads the code and hands it to the store, as the signed-in user.
func (s *Server) checkIn(c *fiber.Ctx, code string) (*repository.CheckIn, error) {
	input, err := domain.ParseCheckinCode(code)
	if err != nil {
		return nil, err
	}
	return s.store.CheckIn(c.UserContext(), sessionOf(c).ID, input, actor(c))
}

// checkinAnswered is the JSON answer to a code: what it did, the sentence
// to show, and the mark as it stands.
type checkinAnswered struct {
	*repository.CheckIn
	Message string `json:"message"`
	Time    string `json:"time"` // the mark's time, "09:12" in Africa/Casablanca
}

func (s *Server) checkinAnswer(c *fiber.Ctx, r *repository.CheckIn) checkinAnswered {
	return checkinAnswered{CheckIn: r, Message: checkinMessage(s.tr(c), r), Time: r.MarkedAt.In(casablanca).Format("15:04")}
}

// checkinMessage says what a code did, in the reader's language: the
// person's name, the mark and its time (isolated: a time reads left to
// right in an Arabic sentence).
func checkinMessage(t *Translator, r *repository.CheckIn) string {
	name := r.Names().In(t.Lang)
	at := isolatedText(r.MarkedAt.In(casablanca).Format("15:04"))
	switch r.Outcome {
	case domain.CheckedIn:
		return t.T("checkin.checked_in", "Name", name, "At", at)
	case domain.AlreadyPresent:
		return t.T("checkin.already_present", "Name", name, "At", at)
	}
	by := ""
	if r.MarkedBy != nil {
		by = *r.MarkedBy
	}
	return t.T("checkin.already_marked", "Name", name, "At", at, "Status", t.T("attendance."+string(r.Status)), "By", by)
}

// badgesPageData is a course's printable badges.
type badgesPageData struct {
	Course *domain.Course
	Badges []badge
}

// badge is one participant's badge: name, codes, the QR code.
type badge struct {
	Person repository.SignInTrainee
	Code   domain.CheckinCode
	QR     template.HTML
}

// badgesPage prints a badge per active enrolment of the course: the name,
// the QR code to scan and the short code to type. No other personal data:
// a badge is carried around and may be lost.
func (s *Server) badgesPage(c *fiber.Ctx) error {
	course, err := s.course(c)
	if err != nil {
		return err
	}
	people, err := s.store.CourseSignInTrainees(c.UserContext(), course.ID, s.tr(c).Lang)
	if err != nil {
		return err
	}
	codes, err := s.store.CheckinCodes(c.UserContext(), course.ID)
	if err != nil {
		return err
	}
	data := &badgesPageData{Course: course, Badges: make([]badge, 0, len(people))}
	for _, p := range people {
		code, ok := codes[p.TraineeID]
		if !ok {
			continue // enrolled since the codes were read: on the next printing
		}
		qr, err := qrSVG(code.Token, s.tr(c).T("checkin.qr_label"))
		if err != nil {
			return err
		}
		data.Badges = append(data.Badges, badge{Person: p, Code: code, QR: qr})
	}
	return s.render(c, "courses/badges", data)
}
