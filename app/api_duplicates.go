package app

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// The duplicates for scripts (coordinators and admins), as on the page:
// GET /duplicates/people, /duplicates/organisations, /merges; POST
// /merges, POST /merges/{id}/unmerge.

// apiDuplicatePeople answers GET /api/v1/duplicates/people?limit=&offset=:
// the pairs of records that are likely one person.
func (s *Server) apiDuplicatePeople(c *fiber.Ctx) error {
	page, err := pageOf(c, 50, repository.DefaultPage)
	if err != nil {
		return err
	}
	pairs, err := s.store.LikelyDuplicatePeople(c.UserContext(), page.ask())
	if err != nil {
		return err
	}
	return sendList(c, page, pairs)
}

// apiDuplicateOrganisations answers GET /api/v1/duplicates/organisations?limit=&offset=.
func (s *Server) apiDuplicateOrganisations(c *fiber.Ctx) error {
	page, err := pageOf(c, 50, repository.DefaultPage)
	if err != nil {
		return err
	}
	pairs, err := s.store.LikelyDuplicateOrganisations(c.UserContext(), page.ask())
	if err != nil {
		return err
	}
	return sendList(c, page, pairs)
}

// apiMerges answers GET /api/v1/merges?limit=&offset=: the merges, the latest first.
func (s *Server) apiMerges(c *fiber.Ctx) error {
	page, err := pageOf(c, 50, repository.DefaultPage)
	if err != nil {
		return err
	}
	merges, err := s.store.Merges(c.UserContext(), page.ask())
	if err != nil {
		return err
	}
	return sendList(c, page, merges)
}

// mergeInput is the body of POST /merges.
type mergeInput struct {
	Entity    string `json:"entity"` // "trainee" or "organisation"
	KeptID    int64  `json:"kept_id"`
	RemovedID int64  `json:"removed_id"`
}

// apiMerge answers POST /api/v1/merges → 201 {"id"}: the merge's id, for
// POST /merges/{id}/unmerge.
func (s *Server) apiMerge(c *fiber.Ctx) error {
	var in mergeInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	merge := map[string]func(context.Context, int64, int64, *int64) (int64, error){
		"trainee": s.store.MergeTrainees, "organisation": s.store.MergeOrganisations,
	}[in.Entity]
	if merge == nil {
		return domain.Invalid("entity", "validation.oneof")
	}
	id, err := merge(c.UserContext(), in.KeptID, in.RemovedID, actor(c))
	if err != nil {
		return err
	}
	return created(c, fiber.Map{"id": id})
}

// apiUnmerge answers POST /api/v1/merges/{id}/unmerge → 204.
func (s *Server) apiUnmerge(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if err := s.store.Unmerge(c.UserContext(), id, actor(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
