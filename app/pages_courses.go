package app

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// programmesPage lists the programmes with a form to add one.
func (s *Server) programmesPage(c *fiber.Ctx) error {
	programmes, err := s.programmes(c)
	if err != nil {
		return err
	}
	return s.renderForm(c, "programmes/list", programmes, formOf(programmeForm{}), nil)
}

func (s *Server) programmes(c *fiber.Ctx) (any, error) {
	return s.store.Programmes(c.UserContext(), repository.Page{})
}

// createProgramme adds a programme from the form.
func (s *Server) createProgramme(c *fiber.Ctx) error {
	var f programmeForm
	form := readForm(c, &f)
	programme := f.programme()
	err := form.Check(programme.Validate())
	if err == nil {
		err = s.store.CreateProgramme(c.UserContext(), programme, actor(c))
	}
	if err != nil {
		return s.renderFormAgain(c, "programmes/list", form, err, func() (any, error) { return s.programmes(c) })
	}
	return s.redirectWithFlash(c, "/programmes", "flash.programme_created")
}

// courseFormData is what the course form offers to choose from.
type courseFormData struct {
	Course     *domain.Course
	Programmes []domain.Programme
	Provinces  []domain.Province
	Correcting bool // a closed course: the form asks why (lifecycle.go)
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
	return &courseFormData{Course: course, Programmes: programmes, Provinces: provinces, Correcting: course != nil && course.Closed()}, nil
}

// newCoursePage shows an empty course form.
func (s *Server) newCoursePage(c *fiber.Ctx) error {
	data, err := s.courseFormData(c, nil)
	if err != nil {
		return err
	}
	return s.renderForm(c, "courses/form", data, formOf(newCourseForm()), nil)
}

// createCourse adds a course from the form.
func (s *Server) createCourse(c *fiber.Ctx) error {
	var f courseForm
	form := readForm(c, &f)
	course := f.newCourse()
	err := form.Check(course.Validate())
	if err == nil {
		err = s.store.CreateCourse(c.UserContext(), course, actor(c))
	}
	if err != nil {
		return s.renderFormAgain(c, "courses/form", form, err, func() (any, error) { return s.courseFormData(c, nil) })
	}
	return s.redirectWithFlash(c, coursePath(course.ID), "flash.course_created")
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
	return s.renderForm(c, "courses/form", data, formOf(courseFormOf(course)), nil)
}

// updateCourse saves the course form (archiving included).
func (s *Server) updateCourse(c *fiber.Ctx) error {
	course, err := s.course(c)
	if err != nil {
		return err
	}
	var f courseForm
	form := readForm(c, &f)
	f.applyTo(course)
	err = form.Check(course.Validate())
	if err == nil {
		err = s.store.UpdateCourse(c.UserContext(), course, actor(c))
	}
	if err != nil {
		return s.renderFormAgain(c, "courses/form", form, err, func() (any, error) { return s.courseFormData(c, course) })
	}
	return s.redirectWithFlash(c, coursePath(course.ID), "flash.course_saved")
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
	Correcting bool // the course is closed and the user may correct it: forms ask why (lifecycle.go)
}

// coursePage shows a course: its roster with attendance rates and the
// completion threshold, its sessions with how many were marked, and for
// coordinators the forms that add sessions and assign trainers.
func (s *Server) coursePage(c *fiber.Ctx) error {
	data, err := s.coursePageData(c)
	if err != nil {
		return err
	}
	return s.renderForm(c, "courses/show", data, formOf(newSeriesForm()), nil)
}

func (s *Server) coursePageData(c *fiber.Ctx) (*coursePageData, error) {
	course, err := s.course(c)
	if err != nil {
		return nil, err
	}
	ctx := c.UserContext()
	d := &coursePageData{Course: course, Manage: coordinators.admits(currentUser(c))}
	d.Correcting = d.Manage && course.Closed()
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

// addSessions creates one session or a series from the course page's form.
// The course page's data is loaded only to show the form again.
func (s *Server) addSessions(c *fiber.Ctx) error {
	var f seriesForm
	form := readForm(c, &f)
	sessions, err := f.series().Sessions()
	err = form.Check(err)
	if err == nil {
		err = s.store.CreateSessions(c.UserContext(), courseID(c), sessions, actor(c))
	}
	if err != nil {
		return s.renderFormAgain(c, "courses/show", form, err, func() (any, error) { return s.coursePageData(c) })
	}
	return s.redirectWithFlash(c, coursePath(courseID(c)), "flash.sessions_created")
}

// assignTrainerForm assigns the chosen trainer to the course.
func (s *Server) assignTrainerForm(c *fiber.Ctx) error {
	course, err := s.course(c)
	if err != nil {
		return err
	}
	var f trainerForm
	if err := readForm(c, &f).Check(nil); err != nil {
		return err
	}
	if err := s.store.AssignTrainer(c.UserContext(), course.ID, f.UserID, actor(c)); err != nil {
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
