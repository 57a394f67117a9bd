package app

import (
	"errors"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// attendancePageData is a session's attendance sheet.
type attendancePageData struct {
	Course   *domain.Course
	Session  *domain.Session
	Marks    []repository.SessionMark
	Statuses []domain.AttendanceStatus
	// the course is closed and the user may correct it: the form asks why (lifecycle.go)
	Correcting bool
	// the session's day has not come (domain.SessionOpenForMarks): the sheet
	// says so before anyone taps a mark that would be refused
	NotYet  bool
	History []shownChange // the session's changes, for coordinators and admins; nil for a trainer
}

func (s *Server) attendancePageData(c *fiber.Ctx) (*attendancePageData, error) {
	session := sessionOf(c)
	course, err := s.course(c)
	if err != nil {
		return nil, err
	}
	marks, err := s.store.SessionAttendance(c.UserContext(), session.ID)
	if err != nil {
		return nil, err
	}
	data := &attendancePageData{Course: course, Session: session, Marks: marks, Statuses: domain.AttendanceStatuses,
		Correcting: course.Closed() && coordinators.admits(currentUser(c)),
		NotYet:     errors.Is(domain.SessionOpenForMarks(*session, time.Now()), domain.ErrSessionNotYet)}
	if coordinators.admits(currentUser(c)) { // the audit log is theirs (routes.go, /audit)
		if data.History, err = s.history(c, repository.AuditFilter{SessionID: &session.ID}); err != nil {
			return nil, err
		}
	}
	return data, nil
}

// attendancePage shows one line per enrolled trainee with the four marks,
// big enough to tap on a phone.
func (s *Server) attendancePage(c *fiber.Ctx) error {
	data, err := s.attendancePageData(c)
	if err != nil {
		return err
	}
	return s.renderForm(c, "sessions/attendance", data, attendanceForm(data.Marks), nil)
}

// attendanceForm shows each trainee's current mark ("status_<trainee id>").
func attendanceForm(marks []repository.SessionMark) *Form {
	values := map[string]string{}
	for _, m := range marks {
		if m.Status != nil {
			values[statusField(m.TraineeID)] = string(*m.Status)
		}
	}
	return NewForm(values)
}

func statusField(traineeID int64) string { return "status_" + strconv.FormatInt(traineeID, 10) }

// shownField holds the mark the sheet showed ("shown_<trainee id>"), so that
// a save sends only the marks changed on the page: a mark someone else
// saved meanwhile is not replaced by the stale one this sheet displayed.
func shownField(traineeID int64) string { return "shown_" + strconv.FormatInt(traineeID, 10) }

// saveAttendanceForm saves the marks changed on the sheet, each a choice
// about one person, in one transaction. "Mark the others present"
// (action=all_present) also marks present everyone who has no mark yet: it
// never replaces a saved mark.
func (s *Server) saveAttendanceForm(c *fiber.Ctx) error {
	data, err := s.attendancePageData(c)
	if err != nil {
		return err
	}
	var marks []repository.Mark
	for _, m := range data.Marks {
		status := domain.AttendanceStatus(c.FormValue(statusField(m.TraineeID)))
		if status == "" || string(status) == c.FormValue(shownField(m.TraineeID)) {
			continue // left as the sheet showed it
		}
		marks = append(marks, repository.Mark{TraineeID: m.TraineeID, Status: status})
	}
	save := s.store.SaveAttendance
	if c.FormValue("action") == "all_present" {
		save = s.store.MarkOthersPresent
	}
	if err := save(c.UserContext(), data.Session.ID, marks, actor(c)); err != nil {
		form := attendanceForm(data.Marks)
		return s.renderForm(c, "sessions/attendance", data, form, err)
	}
	return s.redirectWithFlash(c, "/sessions/"+strconv.FormatInt(data.Session.ID, 10)+"/attendance", "flash.attendance_saved")
}
