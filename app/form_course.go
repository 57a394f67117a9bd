package app

import "takaffoul/domain"

// courseForm is the form of a course (views/pages/courses/form.html): the
// programme is chosen for a new course only (a course stays in its
// programme), archiving is offered for an existing one only.
type courseForm struct {
	ProgrammeID         int64       `form:"programme_id"`
	Code                string      `form:"code"`
	TitleAr             string      `form:"title_ar"`
	TitleFr             string      `form:"title_fr"`
	Year                int         `form:"year"`
	Province            string      `form:"province"`
	StartDate           domain.Date `form:"start_date"`
	EndDate             domain.Date `form:"end_date"`
	Capacity            int         `form:"capacity"`
	CompletionThreshold int         `form:"completion_threshold"`
	Archived            bool        `form:"archived"`
}

// newCourseForm is the empty form: the usual completion threshold filled in.
func newCourseForm() *courseForm { return &courseForm{CompletionThreshold: 80} }

// courseFormOf is the form of a stored course.
func courseFormOf(c *domain.Course) *courseForm {
	return &courseForm{ProgrammeID: c.ProgrammeID, Code: c.Code, TitleAr: c.TitleAr, TitleFr: c.TitleFr, Year: c.Year,
		Province: c.Province, StartDate: c.StartDate, EndDate: c.EndDate, Capacity: c.Capacity,
		CompletionThreshold: c.CompletionThreshold, Archived: c.Archived}
}

// newCourse is the new course the form describes.
func (f *courseForm) newCourse() *domain.Course {
	c := &domain.Course{ProgrammeID: f.ProgrammeID}
	f.applyTo(c)
	return c
}

// applyTo writes the form onto a stored course, its programme and id kept.
func (f *courseForm) applyTo(c *domain.Course) {
	c.Code, c.TitleAr, c.TitleFr, c.Year, c.Province = f.Code, f.TitleAr, f.TitleFr, f.Year, f.Province
	c.StartDate, c.EndDate, c.Capacity, c.CompletionThreshold = f.StartDate, f.EndDate, f.Capacity, f.CompletionThreshold
	c.Archived = f.Archived
}
