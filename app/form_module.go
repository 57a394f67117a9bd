package app

import "takaffoul/domain"

// moduleForm adds or changes a module (views/pages/programmes/modules.html).
type moduleForm struct {
	Position      int     `form:"position"`
	Year          int     `form:"year"`
	NameAr        string  `form:"name_ar"`
	NameFr        string  `form:"name_fr"`
	ExpectedHours float64 `form:"expected_hours"`
}

// module is the module the form describes, in programme programmeID.
func (f *moduleForm) module(programmeID int64) *domain.Module {
	return &domain.Module{ProgrammeID: programmeID, Position: f.Position, Year: f.Year,
		NameAr: f.NameAr, NameFr: f.NameFr, ExpectedHours: f.ExpectedHours}
}

// courseModuleForm puts a course of the programme in one of its modules
// (module 0: in none).
type courseModuleForm struct {
	CourseID int64 `form:"course_id"`
	ModuleID int64 `form:"module_id"`
}
