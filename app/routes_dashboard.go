package app

import (
	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
)

// dashboardRoutes registers the ministry's figures: the totals API, the
// dashboard page, the totals export and the reported figures. The figures
// are aggregates only, so the ministry role reads them; only coordinators
// record what a published report states.
func (s *Server) dashboardRoutes(f *fiber.App) {
	readers := s.require(domain.RoleCoordinator, domain.RoleMinistry)
	coordinators := s.require(domain.RoleCoordinator)

	f.Get("/api/v1/totals", readers, s.apiTotals)
	f.Get("/dashboard", readers, s.dashboardPage)
	f.Get("/exports/totals.csv", readers, s.exportTotals(domain.CSV))
	f.Get("/exports/totals.xlsx", readers, s.exportTotals(domain.XLSX))

	f.Get("/dashboard/reported", coordinators, s.reportedPage)
	f.Post("/dashboard/reported", coordinators, s.createReported)
	f.Post("/dashboard/reported/:id<int>/delete", coordinators, s.deleteReported)
}
