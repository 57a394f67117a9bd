package app

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
)

// The duplicates for scripts (coordinators and admins), as on the page:
// GET /duplicates, POST /merges, POST /merges/{id}/unmerge.

// apiDuplicates answers GET /api/v1/duplicates: the likely duplicate
// people and organisations, and the latest merges.
func (s *Server) apiDuplicates(c *fiber.Ctx) error {
	data, err := s.duplicatesData(c)
	if err != nil {
		return err
	}
	d := data.(*duplicatesData)
	return c.JSON(fiber.Map{"people": d.People, "organisations": d.Organisations, "merges": d.Merges})
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
