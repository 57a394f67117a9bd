package app

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// The life of sessions and courses (issue 14, points 3 and 6): a session
// edited until it has marks, deleted while it has none, cancelled with a
// reason; a course closed by a coordinator once its report is done, a
// coordinator's correction on it with a reason, its reopening.

// correctionField is the form field (pages) or query parameter (API) of
// the reason a coordinator gives for a write on a closed course.
const correctionField = "correction_reason"

// allowCorrection runs in the guards of routes that name a course or a
// session (onCourse, onSession), before the handler. A coordinator's or
// admin's write on a closed course needs a reason (none: 422 on
// correction_reason, nothing changed); with one, the store's transaction
// may write and audits the reason (repository.WithCorrection). Trainers
// are not asked: the database refuses their writes on a closed course
// (repository.ErrCourseClosed, 409) whatever they send. later: the
// handler's statement finds a closed course out (the database refuses it)
// and the handler asks why (closedNeedsReason), so that a write with no
// reason costs no read of the course first.
func (s *Server) allowCorrection(c *fiber.Ctx, later bool) error {
	if c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead || !coordinators.admits(currentUser(c)) {
		return nil
	}
	typed := c.FormValue(correctionField)
	if later && typed == "" {
		return nil
	}
	closed, err := s.courseClosed(c)
	if err != nil || !closed {
		return err
	}
	if domain.CleanNumber(typed) == "" {
		return domain.Invalid(correctionField, "course.closed_reason_required")
	}
	reason, err := domain.CleanReason(correctionField, typed)
	if err != nil {
		return err
	}
	c.SetUserContext(repository.WithCorrection(c.UserContext(), reason))
	return nil
}

// closedNeedsReason is err, or, for a coordinator's write refused because
// the course is closed (a route guarded by onCourseAskingWhyLater), the
// question allowCorrection asks: why (422 on correction_reason).
func closedNeedsReason(c *fiber.Ctx, err error) error {
	if errors.Is(err, repository.ErrCourseClosed) && coordinators.admits(currentUser(c)) && repository.CorrectionOf(c.UserContext()) == "" {
		return domain.Invalid(correctionField, "course.closed_reason_required")
	}
	return err
}

// courseClosed reports whether the course the guard let through is closed:
// from the course if a handler loaded it already, else by the store's
// point read (the enrolment, the busiest write, never loads the course).
func (s *Server) courseClosed(c *fiber.Ctx) (bool, error) {
	if checked := c.Locals(courseKey).(*checkedCourse); checked.course != nil {
		return checked.course.Closed(), nil
	}
	return s.store.CourseClosed(c.UserContext(), courseID(c))
}

// sessionForm is the form that edits a session (views/pages/sessions/edit.html).
type sessionForm struct {
	Day       domain.Date `form:"day"`
	StartTime string      `form:"start_time"`
	EndTime   string      `form:"end_time"`
	Place     string      `form:"place"`
	Hours     float64     `form:"hours"`
}

// sessionFormOf is a stored session as the form shows it, in Casablanca time.
func sessionFormOf(ss *domain.Session) *sessionForm {
	start, end := ss.StartsAt.In(domain.Casablanca), ss.EndsAt.In(domain.Casablanca)
	return &sessionForm{Day: domain.Date{Time: start}, StartTime: start.Format("15:04"), EndTime: end.Format("15:04"),
		Place: ss.Place, Hours: ss.Hours}
}

// session is the session the form describes: a series of one.
func (f *sessionForm) session(id int64) (*domain.Session, error) {
	one := domain.SessionSeries{FirstDay: f.Day, StartTime: f.StartTime, EndTime: f.EndTime, Count: 1, Place: f.Place, Hours: f.Hours}
	sessions, err := one.Sessions()
	if err != nil {
		if v, ok := domain.AsValidation(err); ok { // the series' first day is this form's day
			if p, ok := v.Fields["first_day"]; ok {
				delete(v.Fields, "first_day")
				v.Fields["day"] = p
			}
		}
		return nil, err
	}
	sessions[0].ID = id
	return &sessions[0], nil
}

// cancelForm is the form that cancels a session.
type cancelForm struct {
	Reason string `form:"cancel_reason"`
}

// reopenForm is the form that reopens a closed course.
type reopenForm struct {
	Reason string `form:"reopen_reason"`
}

// sessionPageData is the session's edit page.
type sessionPageData struct {
	Course  *domain.Course
	Session *domain.Session
	Manage  bool // a coordinator: may delete
	// the course is closed and the user may correct it: the forms ask why
	Correcting bool
}

func (s *Server) sessionPageData(c *fiber.Ctx) (any, error) {
	course, err := s.course(c)
	if err != nil {
		return nil, err
	}
	manage := coordinators.admits(currentUser(c))
	return &sessionPageData{Course: course, Session: sessionOf(c), Manage: manage, Correcting: manage && course.Closed()}, nil
}

// editSessionPage shows the forms that edit, cancel and delete a session.
func (s *Server) editSessionPage(c *fiber.Ctx) error {
	data, err := s.sessionPageData(c)
	if err != nil {
		return err
	}
	return s.renderForm(c, "sessions/edit", data, formOf(sessionFormOf(sessionOf(c))), nil)
}

// updateSessionForm saves the session's date, times, place and hours.
func (s *Server) updateSessionForm(c *fiber.Ctx) error {
	var f sessionForm
	form := readForm(c, &f)
	ss, err := f.session(sessionOf(c).ID)
	err = form.Check(err)
	if err == nil {
		err = s.store.UpdateSession(c.UserContext(), ss, actor(c))
	}
	if err != nil {
		return s.renderFormAgain(c, "sessions/edit", form, err, func() (any, error) { return s.sessionPageData(c) })
	}
	return s.redirectWithFlash(c, coursePath(courseID(c)), "flash.session_saved")
}

// cancelSessionForm cancels the session with the reason typed.
func (s *Server) cancelSessionForm(c *fiber.Ctx) error {
	var f cancelForm
	form := readForm(c, &f)
	err := form.Check(nil)
	if err == nil {
		err = s.store.CancelSession(c.UserContext(), sessionOf(c).ID, f.Reason, actor(c))
	}
	if err != nil {
		return s.renderFormAgain(c, "sessions/edit", form, err, func() (any, error) { return s.sessionPageData(c) })
	}
	return s.redirectWithFlash(c, coursePath(courseID(c)), "flash.session_cancelled")
}

// deleteSessionForm deletes a session that has no mark.
func (s *Server) deleteSessionForm(c *fiber.Ctx) error {
	if err := s.store.DeleteSession(c.UserContext(), sessionOf(c).ID, actor(c)); err != nil {
		return err
	}
	return s.redirectWithFlash(c, coursePath(courseID(c)), "flash.session_deleted")
}

// closeCourseForm closes the course.
func (s *Server) closeCourseForm(c *fiber.Ctx) error {
	if _, err := s.store.CloseCourse(c.UserContext(), courseID(c), actor(c)); err != nil {
		return err
	}
	return s.redirectWithFlash(c, coursePath(courseID(c)), "flash.course_closed")
}

// reopenCourseForm reopens the course with the reason typed.
func (s *Server) reopenCourseForm(c *fiber.Ctx) error {
	var f reopenForm
	form := readForm(c, &f)
	err := form.Check(nil)
	if err == nil {
		err = s.store.ReopenCourse(c.UserContext(), courseID(c), f.Reason, actor(c))
	}
	if err != nil {
		return s.renderFormAgain(c, "courses/show", form, err, func() (any, error) { return s.coursePageData(c) })
	}
	return s.redirectWithFlash(c, coursePath(courseID(c)), "flash.course_reopened")
}

// sessionInput is the body of PATCH /sessions/{id}: the fields sent
// replace the stored ones.
type sessionInput struct {
	ID           readOnly `json:"id"`
	CourseID     readOnly `json:"course_id"`
	StartsAt     string   `json:"starts_at"` // RFC 3339
	EndsAt       string   `json:"ends_at"`
	Place        string   `json:"place"`
	Hours        float64  `json:"hours"`
	CancelledAt  readOnly `json:"cancelled_at"`
	CancelledBy  readOnly `json:"cancelled_by"`
	CancelReason readOnly `json:"cancel_reason"`
	HasMarks     readOnly `json:"has_marks"`
}

// reasonInput is the body of POST /sessions/{id}/cancel and POST
// /courses/{id}/reopen.
type reasonInput struct {
	Reason string `json:"reason"`
}

// apiPatchSession answers PATCH /api/v1/sessions/{id}.
func (s *Server) apiPatchSession(c *fiber.Ctx) error {
	stored := sessionOf(c)
	in := sessionInput{StartsAt: stored.StartsAt.Format(time.RFC3339), EndsAt: stored.EndsAt.Format(time.RFC3339),
		Place: stored.Place, Hours: stored.Hours}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	p := domain.Problems{}
	ss := &domain.Session{ID: stored.ID, StartsAt: jsonTime("starts_at", in.StartsAt, p), EndsAt: jsonTime("ends_at", in.EndsAt, p),
		Place: in.Place, Hours: in.Hours}
	if err := withProblems(p, nil); err != nil {
		return err
	}
	if err := s.store.UpdateSession(c.UserContext(), ss, actor(c)); err != nil {
		return err
	}
	return s.apiSession(c, ss.ID)
}

// apiCancelSession answers POST /api/v1/sessions/{id}/cancel {"reason": "…"}.
func (s *Server) apiCancelSession(c *fiber.Ctx) error {
	var in reasonInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	id := sessionOf(c).ID
	if err := s.store.CancelSession(c.UserContext(), id, in.Reason, actor(c)); err != nil {
		return err
	}
	return s.apiSession(c, id)
}

// apiSession answers the session as stored now.
func (s *Server) apiSession(c *fiber.Ctx, id int64) error {
	ss, err := s.store.Session(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(ss)
}

// apiDeleteSession answers DELETE /api/v1/sessions/{id}.
func (s *Server) apiDeleteSession(c *fiber.Ctx) error {
	if err := s.store.DeleteSession(c.UserContext(), sessionOf(c).ID, actor(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// apiCloseCourse answers POST /api/v1/courses/{id}/close with the closing
// and the figures it keeps.
func (s *Server) apiCloseCourse(c *fiber.Ctx) error {
	closing, err := s.store.CloseCourse(c.UserContext(), courseID(c), actor(c))
	if err != nil {
		return err
	}
	return created(c, closing)
}

// apiReopenCourse answers POST /api/v1/courses/{id}/reopen {"reason": "…"}.
func (s *Server) apiReopenCourse(c *fiber.Ctx) error {
	var in reasonInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if err := s.store.ReopenCourse(c.UserContext(), courseID(c), in.Reason, actor(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// apiCourseClosings answers GET /api/v1/courses/{id}/closings: its
// closings, the latest first, with their figures.
func (s *Server) apiCourseClosings(c *fiber.Ctx) error {
	closings, err := s.store.CourseClosings(c.UserContext(), courseID(c))
	if err != nil {
		return err
	}
	return c.JSON(closings)
}
