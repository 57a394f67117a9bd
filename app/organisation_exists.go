package app

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
)

// Organisations already on record (docs/DUPLICATES.md): creating one whose
// folded name is taken answers 409 with the existing one, as a look-alike
// person does, so that the user picks it instead of making a twin.

// existingOrganisationJSON answers POST /organisations (and any JSON
// client) 409 {"error", "fields", "existing"} when err says the
// organisation exists; ok is false for any other error.
func (s *Server) existingOrganisationJSON(c *fiber.Ctx, err error) (ok bool, _ error) {
	var exists *domain.OrganisationExists
	if !errors.As(err, &exists) {
		return false, nil
	}
	t := s.tr(c)
	name := exists.Existing.Names().In(t.Lang)
	return true, c.Status(fiber.StatusConflict).JSON(fiber.Map{
		"error":    t.T("organisation.exists", "Name", name),
		"fields":   fiber.Map{exists.Field: t.T("organisation.exists", "Name", name)},
		"existing": exists.Existing,
	})
}

// offerExistingOrganisation shows the enrolment form again (409) with the
// organisation on record chosen in place of the name typed: saving again
// enrols the person as a member of it.
func (s *Server) offerExistingOrganisation(c *fiber.Ctx, form *Form, exists *domain.OrganisationExists) error {
	data, err := s.enrolPageData(c)
	if err != nil {
		return err
	}
	data.include(exists.Existing)
	t := s.tr(c)
	form.Values["organisation_id"] = strconv.FormatInt(exists.Existing.ID, 10)
	form.Values["new_organisation_name"] = ""
	form.Errors["organisation_id"] = t.T("organisation.exists_chosen", "Name", exists.Existing.Names().In(t.Lang))
	form.Message = t.T("organisation.exists_form")
	form.Summary = errorSummary(t, form)
	return s.renderPage(c, fiber.StatusConflict, "courses/enrol", data, form)
}

// include adds o to the page's list of its kind when the list (the first
// ones by name) does not show it, so that it can be chosen.
func (d *enrolPageData) include(o domain.Organisation) {
	list := &d.Institutions
	if o.Kind == domain.Association {
		list = &d.Associations
	}
	for _, shown := range *list {
		if shown.ID == o.ID {
			return
		}
	}
	*list = append([]domain.Organisation{o}, *list...)
}
