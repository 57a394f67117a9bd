package app

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// programmesPage lists the programmes with a form to add one.
func (s *Server) programmesPage(c *fiber.Ctx) error {
	return s.renderProgrammes(c, NewForm(nil), nil)
}

func (s *Server) renderProgrammes(c *fiber.Ctx, form *Form, err error) error {
	programmes, listErr := s.store.Programmes(c.UserContext(), repository.Page{})
	if listErr != nil {
		return listErr
	}
	return s.renderForm(c, "programmes/list", programmes, form, err)
}

var programmeFields = []string{"code", "name_ar", "name_fr", "name_en", "start_year", "end_year"}

// createProgramme adds a programme from the form.
func (s *Server) createProgramme(c *fiber.Ctx) error {
	p := domain.Problems{}
	programme := domain.Programme{Code: c.FormValue("code"), NameAr: c.FormValue("name_ar"), NameFr: c.FormValue("name_fr"),
		NameEn: c.FormValue("name_en"), StartYear: formInt(c, "start_year", p), EndYear: formInt(c, "end_year", p)}
	form := NewForm(formValues(c, programmeFields...))
	if len(p) > 0 {
		return s.renderProgrammes(c, form, withProblems(p, programme.Validate()))
	}
	if err := s.store.CreateProgramme(c.UserContext(), &programme, actor(c)); err != nil {
		return s.renderProgrammes(c, form, err)
	}
	return s.redirectWithFlash(c, "/programmes", "flash.programme_created")
}

// coursesPage lists the courses of the user's scope: all for coordinators,
// a trainer's own for a trainer.
func (s *Server) coursesPage(c *fiber.Ctx) error {
	scope, err := s.scope(c)
	if err != nil {
		return err
	}
	courses, err := s.store.Courses(c.UserContext(), scope, repository.CourseFilter{IncludeArchived: c.QueryBool("archived")}, repository.Page{})
	if err != nil {
		return err
	}
	return s.render(c, "courses/list", courses)
}

// courseFormData is what the course form offers to choose from.
type courseFormData struct {
	Course     *domain.Course
	Programmes []domain.Programme
	Provinces  []domain.Province
}

func (s *Server) courseFormData(c *fiber.Ctx, course *domain.Course) (*courseFormData, error) {
	programmes, err := s.store.Programmes(c.UserContext(), repository.Page{})
	if err != nil {
		return nil, err
	}
	provinces, err := s.store.Provinces(c.UserContext())
	if err != nil {
		return nil, err
	}
	return &courseFormData{Course: course, Programmes: programmes, Provinces: provinces}, nil
}

var courseFields = []string{"programme_id", "code", "title_ar", "title_fr", "year", "province", "start_date", "end_date",
	"capacity", "completion_threshold", "archived"}

// courseValues fills the form of an existing course.
func courseValues(course *domain.Course) map[string]string {
	archived := ""
	if course.Archived {
		archived = "on"
	}
	return map[string]string{"programme_id": strconv.FormatInt(course.ProgrammeID, 10), "code": course.Code,
		"title_ar": course.TitleAr, "title_fr": course.TitleFr, "year": strconv.Itoa(course.Year), "province": course.Province,
		"start_date": course.StartDate.String(), "end_date": course.EndDate.String(), "capacity": strconv.Itoa(course.Capacity),
		"completion_threshold": strconv.Itoa(course.CompletionThreshold), "archived": archived}
}

// newCoursePage shows an empty course form.
func (s *Server) newCoursePage(c *fiber.Ctx) error {
	data, err := s.courseFormData(c, nil)
	if err != nil {
		return err
	}
	return s.renderForm(c, "courses/form", data, NewForm(map[string]string{"completion_threshold": "80"}), nil)
}

// courseFromForm reads the course form into course.
func courseFromForm(c *fiber.Ctx, course *domain.Course, p domain.Problems) {
	course.Code, course.TitleAr, course.TitleFr = c.FormValue("code"), c.FormValue("title_ar"), c.FormValue("title_fr")
	course.Year, course.Province = formInt(c, "year", p), c.FormValue("province")
	course.StartDate, course.EndDate = formDate(c, "start_date", p), formDate(c, "end_date", p)
	course.Capacity, course.CompletionThreshold = formInt(c, "capacity", p), formInt(c, "completion_threshold", p)
	course.Archived = formBool(c, "archived")
}

// createCourse adds a course from the form.
func (s *Server) createCourse(c *fiber.Ctx) error {
	p := domain.Problems{}
	course := &domain.Course{ProgrammeID: int64(formInt(c, "programme_id", p))}
	courseFromForm(c, course, p)
	form := NewForm(formValues(c, courseFields...))
	data, err := s.courseFormData(c, nil)
	if err != nil {
		return err
	}
	if len(p) > 0 {
		return s.renderForm(c, "courses/form", data, form, withProblems(p, course.Validate()))
	}
	if err := s.store.CreateCourse(c.UserContext(), course, actor(c)); err != nil {
		return s.renderForm(c, "courses/form", data, form, err)
	}
	return s.redirectWithFlash(c, "/courses/"+strconv.FormatInt(course.ID, 10), "flash.course_created")
}

// editCoursePage shows the form of an existing course.
func (s *Server) editCoursePage(c *fiber.Ctx) error {
	course, err := s.course(c)
	if err != nil {
		return err
	}
	data, err := s.courseFormData(c, course)
	if err != nil {
		return err
	}
	return s.renderForm(c, "courses/form", data, NewForm(courseValues(course)), nil)
}

// updateCourse saves the course form (archiving included).
func (s *Server) updateCourse(c *fiber.Ctx) error {
	course, err := s.course(c)
	if err != nil {
		return err
	}
	p := domain.Problems{}
	courseFromForm(c, course, p)
	form := NewForm(formValues(c, courseFields...))
	data, err := s.courseFormData(c, course)
	if err != nil {
		return err
	}
	if len(p) > 0 {
		return s.renderForm(c, "courses/form", data, form, withProblems(p, course.Validate()))
	}
	if err := s.store.UpdateCourse(c.UserContext(), course, actor(c)); err != nil {
		return s.renderForm(c, "courses/form", data, form, err)
	}
	return s.redirectWithFlash(c, "/courses/"+strconv.FormatInt(course.ID, 10), "flash.course_saved")
}

// coursePageData is everything the course page shows.
type coursePageData struct {
	Course    *domain.Course
	Programme *domain.Programme
	Province  *domain.Province
	Roster    []repository.RosterEntry
	Sessions  []repository.SessionSummary
	Trainers  []domain.User
	// For coordinators: trainers who can be assigned.
	Assignable []domain.User
	Manage     bool
}

// coursePage shows a course: its roster with attendance rates and the
// completion threshold, its sessions with how many were marked, and for
// coordinators the forms that add sessions and assign trainers.
func (s *Server) coursePage(c *fiber.Ctx) error {
	data, err := s.coursePageData(c)
	if err != nil {
		return err
	}
	return s.renderForm(c, "courses/show", data, NewForm(map[string]string{"interval_days": "7", "count": "1"}), nil)
}

func (s *Server) coursePageData(c *fiber.Ctx) (*coursePageData, error) {
	course, err := s.course(c)
	if err != nil {
		return nil, err
	}
	ctx := c.UserContext()
	d := &coursePageData{Course: course, Manage: coordinators.admits(currentUser(c))}
	if d.Programme, err = s.store.Programme(ctx, course.ProgrammeID); err != nil {
		return nil, err
	}
	if d.Province, err = s.store.ProvinceByCode(ctx, course.Province); err != nil {
		return nil, err
	}
	if d.Roster, err = s.store.Roster(ctx, course.ID); err != nil {
		return nil, err
	}
	if d.Sessions, err = s.store.SessionSummaries(ctx, course.ID); err != nil {
		return nil, err
	}
	if d.Trainers, err = s.store.CourseTrainers(ctx, course.ID); err != nil {
		return nil, err
	}
	if d.Manage {
		if d.Assignable, err = s.store.ActiveUsersWithRole(ctx, domain.RoleTrainer); err != nil {
			return nil, err
		}
	}
	return d, nil
}

var seriesFields = []string{"first_day", "start_time", "end_time", "interval_days", "count", "place", "hours"}

// addSessions creates one session or a series from the course page's form.
func (s *Server) addSessions(c *fiber.Ctx) error {
	data, err := s.coursePageData(c)
	if err != nil {
		return err
	}
	p := domain.Problems{}
	series := domain.SessionSeries{FirstDay: formDate(c, "first_day", p), StartTime: c.FormValue("start_time"),
		EndTime: c.FormValue("end_time"), IntervalDays: formInt(c, "interval_days", p), Count: formInt(c, "count", p),
		Place: c.FormValue("place"), Hours: formFloat(c, "hours", p)}
	form := NewForm(formValues(c, seriesFields...))
	sessions, err := series.Sessions()
	if len(p) > 0 || err != nil {
		return s.renderForm(c, "courses/show", data, form, withProblems(p, err))
	}
	if err := s.store.CreateSessions(c.UserContext(), data.Course.ID, sessions, actor(c)); err != nil {
		return s.renderForm(c, "courses/show", data, form, err)
	}
	return s.redirectWithFlash(c, coursePath(data.Course.ID), "flash.sessions_created")
}

// assignTrainerForm assigns the chosen trainer to the course.
func (s *Server) assignTrainerForm(c *fiber.Ctx) error {
	course, err := s.course(c)
	if err != nil {
		return err
	}
	p := domain.Problems{}
	userID := formInt(c, "user_id", p)
	if err := p.Err(); err != nil {
		return err
	}
	if err := s.store.AssignTrainer(c.UserContext(), course.ID, int64(userID), actor(c)); err != nil {
		return err
	}
	return s.redirectWithFlash(c, coursePath(course.ID), "flash.trainer_assigned")
}

// unassignTrainerForm takes the course away from a trainer.
func (s *Server) unassignTrainerForm(c *fiber.Ctx) error {
	course, err := s.unassignFromPath(c)
	if err != nil {
		return err
	}
	return s.redirectWithFlash(c, coursePath(course.ID), "flash.trainer_unassigned")
}

func coursePath(id int64) string { return "/courses/" + strconv.FormatInt(id, 10) }
