package app

import (
	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// The curriculum pages (issue 19): a programme's modules and which course
// belongs to which, managed by coordinators.

// modulesData is what the modules page shows.
type modulesData struct {
	Programme *domain.Programme
	Modules   []domain.Module
	Courses   []moduleCourse
}

// moduleCourse is a course of the programme with its module (0: none).
type moduleCourse struct {
	ID       int64
	Code     string
	Title    domain.Names
	Year     int
	ModuleID int64
}

func (s *Server) modulesData(c *fiber.Ctx) (any, error) {
	id, err := paramID(c, "id")
	if err != nil {
		return nil, err
	}
	ctx := c.UserContext()
	p, err := s.store.Programme(ctx, id)
	if err != nil {
		return nil, err
	}
	modules, err := s.store.Modules(ctx, id)
	if err != nil {
		return nil, err
	}
	courses, err := s.store.ModuleCourses(ctx, id)
	if err != nil {
		return nil, err
	}
	d := &modulesData{Programme: p, Modules: modules}
	for _, mc := range courses {
		d.Courses = append(d.Courses, moduleCourse{ID: mc.ID, Code: mc.Code, Title: domain.Names{Ar: mc.TitleAr, Fr: mc.TitleFr},
			Year: mc.Year, ModuleID: mc.ModuleID})
	}
	return d, nil
}

// modulesPage shows a programme's modules, its courses' modules and the
// form adding a module.
func (s *Server) modulesPage(c *fiber.Ctx) error {
	d, err := s.modulesData(c)
	if err != nil {
		return err
	}
	return s.renderForm(c, "programmes/modules", d, formOf(moduleForm{Year: 1}), nil)
}

func modulesURL(c *fiber.Ctx) string { return "/programmes/" + c.Params("id") + "/modules" }

// createModuleForm adds a module from the form.
func (s *Server) createModuleForm(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var f moduleForm
	form := readForm(c, &f)
	m := f.module(id)
	err = form.Check(m.Validate())
	if err == nil {
		err = s.store.CreateModule(c.UserContext(), m, actor(c))
	}
	if err != nil {
		return s.renderFormAgain(c, "programmes/modules", form, err, func() (any, error) { return s.modulesData(c) })
	}
	return s.redirectWithFlash(c, modulesURL(c), "curriculum.module_created")
}

// moduleEditData is the page changing one module.
type moduleEditData struct {
	Programme *domain.Programme
	Module    *domain.Module
}

func (s *Server) moduleEditData(c *fiber.Ctx) (*moduleEditData, error) {
	id, err := paramID(c, "id")
	if err != nil {
		return nil, err
	}
	mid, err := paramID(c, "module_id")
	if err != nil {
		return nil, err
	}
	m, err := s.store.Module(c.UserContext(), mid)
	if err != nil {
		return nil, err
	}
	if m.ProgrammeID != id {
		return nil, domain.ErrNotFound
	}
	p, err := s.store.Programme(c.UserContext(), id)
	if err != nil {
		return nil, err
	}
	return &moduleEditData{Programme: p, Module: m}, nil
}

// editModulePage shows the form changing a module.
func (s *Server) editModulePage(c *fiber.Ctx) error {
	d, err := s.moduleEditData(c)
	if err != nil {
		return err
	}
	m := d.Module
	return s.renderForm(c, "programmes/module", d, formOf(moduleForm{Position: m.Position, Year: m.Year,
		NameAr: m.NameAr, NameFr: m.NameFr, ExpectedHours: m.ExpectedHours}), nil)
}

// updateModuleForm changes a module from the form.
func (s *Server) updateModuleForm(c *fiber.Ctx) error {
	d, err := s.moduleEditData(c)
	if err != nil {
		return err
	}
	var f moduleForm
	form := readForm(c, &f)
	m := f.module(d.Programme.ID)
	m.ID = d.Module.ID
	err = form.Check(m.Validate())
	if err == nil {
		err = s.store.UpdateModule(c.UserContext(), m, actor(c))
	}
	if err != nil {
		return s.renderFormAgain(c, "programmes/module", form, err, func() (any, error) { return d, nil })
	}
	return s.redirectWithFlash(c, modulesURL(c), "curriculum.module_updated")
}

// setCourseModuleForm puts a course in a module from the form.
func (s *Server) setCourseModuleForm(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var f courseModuleForm
	form := readForm(c, &f)
	err = form.Check(nil)
	if err == nil {
		err = s.setCourseModule(c, id, f.CourseID, f.ModuleID)
	}
	if err != nil {
		return s.renderFormAgain(c, "programmes/modules", form, err, func() (any, error) { return s.modulesData(c) })
	}
	return s.redirectWithFlash(c, modulesURL(c), "curriculum.course_module_set")
}

// setCourseModule moves a course of programme programmeID to module
// moduleID (0: none); a course of another programme is not found.
func (s *Server) setCourseModule(c *fiber.Ctx, programmeID, courseID, moduleID int64) error {
	course, err := s.store.Course(c.UserContext(), courseID)
	if err != nil {
		return err
	}
	if course.ProgrammeID != programmeID {
		return domain.ErrNotFound
	}
	var m *int64
	if moduleID != 0 {
		m = &moduleID
	}
	return s.store.SetCourseModule(c.UserContext(), courseID, m, actor(c))
}

// completionSection is one programme's completion on the dashboard.
type completionSection struct {
	Programme string
	*domain.ShownCompletion
}

// shownCompletion is a programme's completion as the signed-in user may
// read it: exact for coordinators and admins, suppressed for the ministry,
// as shownTotals does for the totals.
func (s *Server) shownCompletion(c *fiber.Ctx, programmeID int64) (*domain.ShownCompletion, error) {
	pc, err := s.store.ProgrammeCompletion(c.UserContext(), programmeID)
	if err != nil {
		return nil, err
	}
	var shown domain.ShownCompletion
	if coordinators.admits(currentUser(c)) {
		shown = domain.ExactCompletion(*pc)
	} else {
		shown = domain.SuppressCompletion(*pc)
	}
	return &shown, nil
}

// dashboardCompletion is the completion of every programme with modules,
// or of the filter's programme only.
func (s *Server) dashboardCompletion(c *fiber.Ctx, programme string) ([]completionSection, error) {
	programmes, err := s.store.Programmes(c.UserContext(), repository.Page{})
	if err != nil {
		return nil, err
	}
	var out []completionSection
	for _, p := range programmes {
		if programme != "" && p.Code != programme {
			continue
		}
		shown, err := s.shownCompletion(c, p.ID)
		if err != nil {
			return nil, err
		}
		if shown.Modules > 0 {
			out = append(out, completionSection{Programme: p.Names().In(s.tr(c).Lang), ShownCompletion: shown})
		}
	}
	return out, nil
}

// apiProgrammeCompletion answers GET /api/v1/programmes/{id}/completion.
func (s *Server) apiProgrammeCompletion(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	shown, err := s.shownCompletion(c, id)
	if err != nil {
		return err
	}
	return c.JSON(shown)
}

// apiModules answers GET /api/v1/programmes/{id}/modules.
func (s *Server) apiModules(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.store.Programme(c.UserContext(), id); err != nil {
		return err
	}
	ms, err := s.store.Modules(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(ms)
}

// moduleInput is the body of POST /programmes/{id}/modules and PATCH /modules/{id}.
type moduleInput struct {
	ID            readOnly `json:"id"`
	ProgrammeID   readOnly `json:"programme_id"`
	Position      int      `json:"position"`
	Year          int      `json:"year"`
	NameAr        string   `json:"name_ar"`
	NameFr        string   `json:"name_fr"`
	ExpectedHours float64  `json:"expected_hours"`
}

func (in *moduleInput) module(programmeID int64) *domain.Module {
	return &domain.Module{ProgrammeID: programmeID, Position: in.Position, Year: in.Year,
		NameAr: in.NameAr, NameFr: in.NameFr, ExpectedHours: in.ExpectedHours}
}

// apiCreateModule answers POST /api/v1/programmes/{id}/modules.
func (s *Server) apiCreateModule(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var in moduleInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	m := in.module(id)
	if err := s.store.CreateModule(c.UserContext(), m, actor(c)); err != nil {
		return err
	}
	return created(c, m)
}

// apiUpdateModule answers PATCH /api/v1/modules/{id}: the whole module again.
func (s *Server) apiUpdateModule(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var in moduleInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	m := in.module(0)
	m.ID = id
	if err := s.store.UpdateModule(c.UserContext(), m, actor(c)); err != nil {
		return err
	}
	return c.JSON(m)
}

// courseModuleInput is the body of PUT /courses/{id}/module.
type courseModuleInput struct {
	ModuleID *int64 `json:"module_id"`
}

// apiSetCourseModule answers PUT /api/v1/courses/{id}/module ({"module_id": n|null}).
func (s *Server) apiSetCourseModule(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var in courseModuleInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if err := s.store.SetCourseModule(c.UserContext(), id, in.ModuleID, actor(c)); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"course_id": id, "module_id": in.ModuleID})
}
