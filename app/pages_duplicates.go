package app

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// The duplicates page (coordinators and admins): records that are likely
// one person or one organisation, merged in one click (one transaction,
// audited) and unmerged as easily (docs/DUPLICATES.md).

// duplicatesShown bounds each list of the page.
const duplicatesShown = 50

// duplicatesData is the page: likely duplicate people and organisations,
// and the latest merges.
type duplicatesData struct {
	People        []repository.PersonPair
	Organisations []repository.OrganisationPair
	Merges        []repository.Merge
}

// mergeForm is one of the page's merge buttons: keep one record, merge
// the other into it.
type mergeForm struct {
	KeptID    int64 `form:"kept_id"`
	RemovedID int64 `form:"removed_id"`
}

func (s *Server) duplicatesData(c *fiber.Ctx) (any, error) {
	ctx := c.UserContext()
	d := &duplicatesData{}
	var err error
	if d.People, err = s.store.LikelyDuplicatePeople(ctx, repository.Page{Limit: duplicatesShown}); err != nil {
		return nil, err
	}
	if d.Organisations, err = s.store.LikelyDuplicateOrganisations(ctx, repository.Page{Limit: duplicatesShown}); err != nil {
		return nil, err
	}
	if d.Merges, err = s.store.Merges(ctx, repository.Page{Limit: duplicatesShown}); err != nil {
		return nil, err
	}
	return d, nil
}

// duplicatesPage lists the likely duplicates and the latest merges.
func (s *Server) duplicatesPage(c *fiber.Ctx) error {
	data, err := s.duplicatesData(c)
	if err != nil {
		return err
	}
	return s.renderForm(c, "people/duplicates", data, formOf(mergeForm{}), nil)
}

// mergePeopleForm merges two records of one person.
func (s *Server) mergePeopleForm(c *fiber.Ctx) error {
	return s.mergeForm(c, s.store.MergeTrainees)
}

// mergeOrganisationsForm merges two records of one organisation.
func (s *Server) mergeOrganisationsForm(c *fiber.Ctx) error {
	return s.mergeForm(c, s.store.MergeOrganisations)
}

func (s *Server) mergeForm(c *fiber.Ctx, merge func(ctx context.Context, kept, removed int64, by *int64) (int64, error)) error {
	var f mergeForm
	form := readForm(c, &f)
	err := form.Check(nil)
	if err == nil && (f.KeptID <= 0 || f.RemovedID <= 0) {
		return domain.ErrNotFound // not the ids of a button of ours
	}
	if err == nil {
		_, err = merge(c.UserContext(), f.KeptID, f.RemovedID, actor(c))
	}
	if err != nil {
		return s.renderFormAgain(c, "people/duplicates", form, err, func() (any, error) { return s.duplicatesData(c) })
	}
	return s.redirectWithFlash(c, "/duplicates", "flash.merged")
}

// unmergeForm undoes a merge.
func (s *Server) unmergeForm(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if err := s.store.Unmerge(c.UserContext(), id, actor(c)); err != nil {
		return s.renderFormAgain(c, "people/duplicates", formOf(mergeForm{}), err, func() (any, error) { return s.duplicatesData(c) })
	}
	return s.redirectWithFlash(c, "/duplicates", "flash.unmerged")
}
