// Package app is Takaffoul's web layer: routes, middleware, handlers and the
// one error handler that turns errors into statuses and pages.
package app

import (
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"takaffoul/repository"
)

// Config is what the web layer needs from the command line and environment.
type Config struct {
	// CookieSecure marks cookies Secure: set it when served over TLS.
	CookieSecure bool
	// RequestTimeout bounds each request's database work.
	RequestTimeout time.Duration
	// BodyLimit is the largest request body accepted (imports included).
	BodyLimit int
}

// Server holds the dependencies every handler shares.
type Server struct {
	cfg   Config
	store *repository.Store
	log   *slog.Logger
}

// New builds the Fiber application with every route registered.
func New(cfg Config, store *repository.Store, log *slog.Logger) (*fiber.App, error) {
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 15 * time.Second
	}
	if cfg.BodyLimit == 0 {
		cfg.BodyLimit = 12 << 20 // a 10 MB import plus its multipart envelope
	}
	s := &Server{cfg: cfg, store: store, log: log}
	f := fiber.New(fiber.Config{
		// Values from c.Params, c.Query and the body otherwise point into a
		// buffer that the next request reuses.
		Immutable:             true,
		BodyLimit:             cfg.BodyLimit,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          10 * time.Minute, // large exports stream for a while
		IdleTimeout:           60 * time.Second,
		DisableStartupMessage: true,
		ErrorHandler:          s.handleError,
		AppName:               "takaffoul",
	})
	f.Use(s.requestID, s.logRequests, s.recoverPanics)
	s.routes(f)
	return f, nil
}

// routes registers every route of the application.
func (s *Server) routes(f *fiber.App) {
	f.Get("/healthz", s.healthz)
	f.Get("/readyz", s.readyz)
	s.apiRoutes(f.Group("/api/v1"))
}
