package app

import (
	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
)

// exportRoutes registers the files people take away (attendance exports,
// course matrices, printable sign-in sheets) and the participant import.
// The ministry reads aggregates only: it gets none of these.
func (s *Server) exportRoutes(f *fiber.App) {
	workers := s.require(domain.RoleCoordinator, domain.RoleTrainer)
	// Routes naming a course or session: 404 for other roles, as for ids
	// that do not exist.
	workersOnObject := s.requireOrHide(domain.RoleCoordinator, domain.RoleTrainer)

	// Under /exports/: no request timeout (see withRequestTimeout).
	f.Get("/exports/attendance.csv", workers, s.exportAttendance(domain.CSV))
	f.Get("/exports/attendance.xlsx", workers, s.exportAttendance(domain.XLSX))
	f.Get("/courses/:id<int>/matrix.csv", workersOnObject, s.exportMatrix(domain.CSV))
	f.Get("/courses/:id<int>/matrix.xlsx", workersOnObject, s.exportMatrix(domain.XLSX))
	f.Get("/sessions/:id<int>/sign-in-sheet", workersOnObject, s.signInSheetPage)

	// Trainers import into their own courses only (importOptions).
	f.Get("/imports", workers, s.importPage)
	f.Post("/imports", workers, s.importForm)
	f.Post("/api/v1/imports/trainees", workers, s.apiImportTrainees)
}
