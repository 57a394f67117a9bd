package app

import (
	"fmt"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// A coordinator's correction of what one enrolment counts a person as (the
// category and organisation they had when enrolled, which every figure
// counts from): a small page of its own, linked from the course page's
// roster, and PATCH /api/v1/courses/{id}/enrollments/{trainee_id}.

// correctionForm is the correction page's form
// (views/pages/courses/correct.html).
type correctionForm struct {
	Category       domain.Category `form:"category"`
	OrganisationID *int64          `form:"organisation_id"`
	Reason         string          `form:"reason"`
}

// correction is what the form asks; no organisation for a child
// parliamentarian, whatever was chosen (the field is for adults).
func (f *correctionForm) correction() domain.EnrollmentCorrection {
	c := domain.EnrollmentCorrection{Category: f.Category, Reason: f.Reason}
	if f.Category != domain.ChildParliamentarian && f.OrganisationID != nil && *f.OrganisationID > 0 {
		c.OrganisationID = f.OrganisationID
	}
	return c
}

// correctionPageData is the correction page: the enrolment as it counts
// the person, and the choices of the form.
type correctionPageData struct {
	Course       *domain.Course
	Enrolment    *repository.EnrolledAs
	Categories   []domain.Category
	Institutions []domain.Organisation
	Associations []domain.Organisation
}

func correctionPath(courseID, traineeID int64) string {
	return fmt.Sprintf("%s/enrollments/%d/correct", coursePath(courseID), traineeID)
}

func (s *Server) correctionPageData(c *fiber.Ctx) (*correctionPageData, error) {
	course, err := s.course(c)
	if err != nil {
		return nil, err
	}
	traineeID, err := paramID(c, "trainee_id")
	if err != nil {
		return nil, err
	}
	ctx := c.UserContext()
	d := &correctionPageData{Course: course, Categories: domain.Categories}
	if d.Enrolment, err = s.store.EnrolledAs(ctx, course.ID, traineeID); err != nil {
		return nil, err
	}
	if d.Institutions, err = s.store.Organisations(ctx, "", domain.Institution, repository.Page{Limit: 50}); err != nil {
		return nil, err
	}
	if d.Associations, err = s.store.Organisations(ctx, "", domain.Association, repository.Page{Limit: 50}); err != nil {
		return nil, err
	}
	d.Institutions, d.Associations = withOrganisation(d.Enrolment, d.Institutions, d.Associations)
	return d, nil
}

// withOrganisation keeps the enrolment's own organisation among the choices
// when the first page of its kind's list left it out.
func withOrganisation(e *repository.EnrolledAs, institutions, associations []domain.Organisation) ([]domain.Organisation, []domain.Organisation) {
	if e.OrganisationID == nil || e.OrganisationKind == nil {
		return institutions, associations
	}
	list := &institutions
	if *e.OrganisationKind == domain.Association {
		list = &associations
	}
	for _, o := range *list {
		if o.ID == *e.OrganisationID {
			return institutions, associations
		}
	}
	*list = append([]domain.Organisation{{ID: *e.OrganisationID, Kind: *e.OrganisationKind, NameAr: e.OrganisationName}}, *list...)
	return institutions, associations
}

// correctionPage shows the form, filled with what the enrolment counts now.
func (s *Server) correctionPage(c *fiber.Ctx) error {
	data, err := s.correctionPageData(c)
	if err != nil {
		return err
	}
	f := correctionForm{Category: data.Enrolment.Category, OrganisationID: data.Enrolment.OrganisationID}
	return s.renderForm(c, "courses/correct", data, formOf(f), nil)
}

// correctEnrolmentForm saves a correction from the page.
func (s *Server) correctEnrolmentForm(c *fiber.Ctx) error {
	var f correctionForm
	form := readForm(c, &f)
	traineeID, err := paramID(c, "trainee_id")
	if err != nil {
		return err
	}
	err = form.Check(nil)
	if err == nil {
		_, err = s.store.CorrectEnrollment(c.UserContext(), courseID(c), traineeID, f.correction(), actor(c))
	}
	if err != nil {
		return s.renderFormAgain(c, "courses/correct", form, err, func() (any, error) { return s.correctionPageData(c) })
	}
	return s.redirectWithFlash(c, coursePath(courseID(c)), "flash.enrolment_corrected")
}

// correctionInput is the body of PATCH
// /api/v1/courses/{id}/enrollments/{trainee_id}: all three fields are
// required (a correction states the values, not a difference).
type correctionInput struct {
	Category       domain.Category `json:"category"`
	OrganisationID *int64          `json:"organisation_id"`
	Reason         string          `json:"reason"`
}

func (in correctionInput) correction() domain.EnrollmentCorrection {
	return domain.EnrollmentCorrection{Category: in.Category, OrganisationID: in.OrganisationID, Reason: in.Reason}
}

// apiCorrectEnrolment answers PATCH /api/v1/courses/{id}/enrollments/{trainee_id}
// with the enrolment as it now counts the person.
func (s *Server) apiCorrectEnrolment(c *fiber.Ctx) error {
	traineeID, err := paramID(c, "trainee_id")
	if err != nil {
		return err
	}
	var in correctionInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	e, err := s.store.CorrectEnrollment(c.UserContext(), courseID(c), traineeID, in.correction(), actor(c))
	if err != nil {
		return err
	}
	return c.JSON(e)
}
