package app

import (
	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
)

// totalsOf reads the filter from the query string and computes its totals
// as the signed-in user may read them. A malformed filter or an unknown
// code is a *domain.ValidationError (422 with a message per field): user
// input never reaches SQL as text, the store binds every value as a parameter.
func (s *Server) totalsOf(c *fiber.Ctx) (*domain.ShownTotals, error) {
	f, err := domain.ParseTotalsFilter(c.Queries())
	if err != nil {
		return nil, err
	}
	return s.shownTotals(c, f)
}

// shownTotals computes the totals of f as the signed-in user may read them:
// exact for coordinators and admins, who work with the records (and the
// people behind them) already; small counts suppressed for anyone else
// (the ministry, which publishes aggregates; see domain.Suppress). Every page, answer and file of
// totals goes through here, so that none shows what another hides.
func (s *Server) shownTotals(c *fiber.Ctx, f domain.TotalsFilter) (*domain.ShownTotals, error) {
	t, err := s.store.Totals(c.UserContext(), f)
	if err != nil {
		return nil, err
	}
	shown := showTotals(*t, coordinators.admits(currentUser(c)))
	return &shown, nil
}

// shownTotalsOfEach is shownTotals for each filter, all read in one
// snapshot (Store.TotalsOfEach), by filter.
func (s *Server) shownTotalsOfEach(c *fiber.Ctx, filters []domain.TotalsFilter) (map[domain.TotalsFilter]*domain.ShownTotals, error) {
	all, err := s.store.TotalsOfEach(c.UserContext(), filters)
	if err != nil {
		return nil, err
	}
	exact := coordinators.admits(currentUser(c))
	shown := make(map[domain.TotalsFilter]*domain.ShownTotals, len(filters))
	for i, f := range filters {
		v := showTotals(*all[i], exact)
		shown[f] = &v
	}
	return shown, nil
}

// showTotals is t as a user reads it: exact, or with its small counts
// suppressed. shownTotals and the dashboard's scopes (scopeTotals) decide
// here, so that none shows what another hides.
func showTotals(t domain.Totals, exact bool) domain.ShownTotals {
	if exact {
		return domain.Exact(t)
	}
	return domain.Suppress(t)
}

// apiTotals answers GET /api/v1/totals?programme=&year=&region=&province=&course=&sex=&category=
// with the Totals: counts only, never a name. For the ministry a hidden
// figure is null and its path is listed in "suppressed" (docs/API.md).
func (s *Server) apiTotals(c *fiber.Ctx) error {
	t, err := s.totalsOf(c)
	if err != nil {
		return err
	}
	return c.JSON(t)
}
