package app

import (
	"log/slog"
	"sync/atomic"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// NewCountingPasswordChecks is New, also returning how many passwords the
// application has checked with bcrypt so far.
func NewCountingPasswordChecks(cfg Config, store *repository.Store, log *slog.Logger) (*fiber.App, func() int64, error) {
	s, f, err := newServer(cfg, store, log)
	if err != nil {
		return nil, nil, err
	}
	var checks atomic.Int64
	check := s.checkPassword
	s.checkPassword = func(u *domain.User, password string) bool {
		checks.Add(1)
		return check(u, password)
	}
	return f, checks.Load, nil
}

// SetXLSXRowLimit lowers the most rows an XLSX export may hold, for a
// test; it returns the function that restores it.
func SetXLSXRowLimit(n int64) func() {
	old := xlsxRowLimit
	xlsxRowLimit = n
	return func() { xlsxRowLimit = old }
}
