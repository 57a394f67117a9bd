package app

import (
	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// apiListProgrammes answers GET /api/v1/programmes?limit=&offset=.
func (s *Server) apiListProgrammes(c *fiber.Ctx) error {
	page, err := pageOf(c, repository.DefaultPage, repository.DefaultPage)
	if err != nil {
		return err
	}
	ps, err := s.store.Programmes(c.UserContext(), page.ask())
	if err != nil {
		return err
	}
	return sendList(c, page, ps)
}

// programmeInput is the body of POST /programmes.
type programmeInput struct {
	ID        readOnly `json:"id"`
	Code      string   `json:"code"`
	NameAr    string   `json:"name_ar"`
	NameFr    string   `json:"name_fr"`
	NameEn    string   `json:"name_en"`
	StartYear int      `json:"start_year"`
	EndYear   int      `json:"end_year"`
	Archived  bool     `json:"archived"`
}

func (in *programmeInput) programme() *domain.Programme {
	return &domain.Programme{Code: in.Code, NameAr: in.NameAr, NameFr: in.NameFr, NameEn: in.NameEn,
		StartYear: in.StartYear, EndYear: in.EndYear, Archived: in.Archived}
}

// apiCreateProgramme answers POST /api/v1/programmes.
func (s *Server) apiCreateProgramme(c *fiber.Ctx) error {
	var in programmeInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	p := in.programme()
	if err := s.store.CreateProgramme(c.UserContext(), p, actor(c)); err != nil {
		return err
	}
	return created(c, p)
}

// apiListCourses answers GET /api/v1/courses?programme_id=&year=&archived=&limit=&offset=:
// the courses of the user's scope (every course for coordinators, a
// trainer's own for a trainer).
func (s *Server) apiListCourses(c *fiber.Ctx) error {
	page, err := pageOf(c, repository.DefaultPage, repository.DefaultPage)
	if err != nil {
		return err
	}
	scope, err := s.scope(c)
	if err != nil {
		return err
	}
	f := repository.CourseFilter{ProgrammeID: int64(queryInt(c, "programme_id")), Year: queryInt(c, "year"),
		IncludeArchived: c.QueryBool("archived")}
	cs, err := s.store.Courses(c.UserContext(), scope, f, page.ask())
	if err != nil {
		return err
	}
	return sendList(c, page, cs)
}

// courseInput is the body of POST /courses and PATCH /courses/{id} (a
// course stays in its programme: PATCH ignores programme_id).
type courseInput struct {
	ID                  readOnly `json:"id"`
	ProgrammeID         int64    `json:"programme_id"`
	Code                string   `json:"code"`
	TitleAr             string   `json:"title_ar"`
	TitleFr             string   `json:"title_fr"`
	Year                int      `json:"year"`
	Province            string   `json:"province"`
	StartDate           string   `json:"start_date"` // "2006-01-02"
	EndDate             string   `json:"end_date"`
	Capacity            int      `json:"capacity"`
	CompletionThreshold int      `json:"completion_threshold"`
	Archived            bool     `json:"archived"`
	ClosedAt            readOnly `json:"closed_at"` // closing is POST /courses/{id}/close
	ClosedBy            readOnly `json:"closed_by"`
}

// courseInputOf is a stored course as an input: what a PATCH changes.
func courseInputOf(c *domain.Course) courseInput {
	return courseInput{ProgrammeID: c.ProgrammeID, Code: c.Code, TitleAr: c.TitleAr, TitleFr: c.TitleFr, Year: c.Year,
		Province: c.Province, StartDate: c.StartDate.String(), EndDate: c.EndDate.String(), Capacity: c.Capacity,
		CompletionThreshold: c.CompletionThreshold, Archived: c.Archived}
}

// course is the course the input describes; a day written otherwise than
// "2006-01-02" is a problem on its field.
func (in *courseInput) course() (*domain.Course, domain.Problems) {
	p := domain.Problems{}
	c := &domain.Course{ProgrammeID: in.ProgrammeID, Code: in.Code, TitleAr: in.TitleAr, TitleFr: in.TitleFr, Year: in.Year,
		Province: in.Province, StartDate: optionalDate("start_date", in.StartDate, p),
		EndDate: optionalDate("end_date", in.EndDate, p), Capacity: in.Capacity,
		CompletionThreshold: in.CompletionThreshold, Archived: in.Archived}
	return c, p
}

// apiCreateCourse answers POST /api/v1/courses.
func (s *Server) apiCreateCourse(c *fiber.Ctx) error {
	var in courseInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	course, p := in.course()
	if err := withProblems(p, course.Validate()); err != nil {
		return err
	}
	if err := s.store.CreateCourse(c.UserContext(), course, actor(c)); err != nil {
		return err
	}
	return created(c, course)
}

// apiGetCourse answers GET /api/v1/courses/{id}.
func (s *Server) apiGetCourse(c *fiber.Ctx) error {
	course, err := s.course(c)
	if err != nil {
		return err
	}
	return c.JSON(course)
}

// apiPatchCourse answers PATCH /api/v1/courses/{id}: the fields sent replace
// the stored ones, the others stay.
func (s *Server) apiPatchCourse(c *fiber.Ctx) error {
	course, err := s.course(c)
	if err != nil {
		return err
	}
	in := courseInputOf(course)
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	changed, p := in.course()
	changed.ID, changed.ProgrammeID = course.ID, course.ProgrammeID
	if err := withProblems(p, changed.Validate()); err != nil {
		return err
	}
	if err := s.store.UpdateCourse(c.UserContext(), changed, actor(c)); err != nil {
		return err
	}
	return c.JSON(changed)
}

// sessionsInput is the body of POST /courses/{id}/sessions: one session,
// or a series of them.
type sessionsInput struct {
	ID       readOnly     `json:"id"`
	CourseID readOnly     `json:"course_id"` // the course is the path's
	StartsAt string       `json:"starts_at"` // RFC 3339
	EndsAt   string       `json:"ends_at"`
	Place    string       `json:"place"`
	Hours    float64      `json:"hours"`
	Series   *seriesInput `json:"series"`
	// a session read and sent back: set by the server (issue 14)
	CancelledAt  readOnly `json:"cancelled_at"`
	CancelledBy  readOnly `json:"cancelled_by"`
	CancelReason readOnly `json:"cancel_reason"`
	HasMarks     readOnly `json:"has_marks"`
}

// seriesInput is a series of sessions (domain.SessionSeries).
type seriesInput struct {
	FirstDay     string  `json:"first_day"` // "2006-01-02"
	StartTime    string  `json:"start_time"`
	EndTime      string  `json:"end_time"`
	IntervalDays int     `json:"interval_days"`
	Count        int     `json:"count"`
	Place        string  `json:"place"`
	Hours        float64 `json:"hours"`
}

// sessions are the sessions the input describes, validated when a series.
func (in *sessionsInput) sessions() ([]domain.Session, error) {
	p := domain.Problems{}
	if in.Series == nil {
		one := domain.Session{StartsAt: jsonTime("starts_at", in.StartsAt, p), EndsAt: jsonTime("ends_at", in.EndsAt, p),
			Place: in.Place, Hours: in.Hours}
		return []domain.Session{one}, withProblems(p, nil)
	}
	series := domain.SessionSeries{FirstDay: optionalDate("first_day", in.Series.FirstDay, p), StartTime: in.Series.StartTime,
		EndTime: in.Series.EndTime, IntervalDays: in.Series.IntervalDays, Count: in.Series.Count, Place: in.Series.Place,
		Hours: in.Series.Hours}
	sessions, err := series.Sessions()
	return sessions, withProblems(p, err)
}

// apiCreateSessions answers POST /api/v1/courses/{id}/sessions with one
// session ({starts_at, ends_at, place, hours}) or a series ({"series": {...}}).
func (s *Server) apiCreateSessions(c *fiber.Ctx) error {
	course, err := s.course(c)
	if err != nil {
		return err
	}
	var in sessionsInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	sessions, err := in.sessions()
	if err != nil {
		return err
	}
	if err := s.store.CreateSessions(c.UserContext(), course.ID, sessions, actor(c)); err != nil {
		return err
	}
	return created(c, sessions)
}

// apiRoster answers GET /api/v1/courses/{id}/roster.
func (s *Server) apiRoster(c *fiber.Ctx) error {
	course, err := s.course(c)
	if err != nil {
		return err
	}
	roster, err := s.store.Roster(c.UserContext(), course.ID)
	if err != nil {
		return err
	}
	sessions, err := s.store.SessionSummaries(c.UserContext(), course.ID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"course": course, "roster": roster, "sessions": sessions})
}

// trainerInput is the body of POST /courses/{id}/trainers.
type trainerInput struct {
	UserID int64 `json:"user_id"`
}

// apiAssignTrainer answers POST /api/v1/courses/{id}/trainers {"user_id": N}.
func (s *Server) apiAssignTrainer(c *fiber.Ctx) error {
	course, err := s.course(c)
	if err != nil {
		return err
	}
	var in trainerInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if err := s.store.AssignTrainer(c.UserContext(), course.ID, in.UserID, actor(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// unassignFromPath takes the course named in the path away from the trainer
// named in the path (the page and the API share it).
func (s *Server) unassignFromPath(c *fiber.Ctx) (*domain.Course, error) {
	course, err := s.course(c)
	if err != nil {
		return nil, err
	}
	userID, err := paramID(c, "user_id")
	if err != nil {
		return nil, err
	}
	return course, s.store.UnassignTrainer(c.UserContext(), course.ID, userID, actor(c))
}

// apiUnassignTrainer answers DELETE /api/v1/courses/{id}/trainers/{user_id}.
func (s *Server) apiUnassignTrainer(c *fiber.Ctx) error {
	if _, err := s.unassignFromPath(c); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
