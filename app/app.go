// Package app is Takaffoul's web layer: routes, middleware, handlers and the
// one error handler that turns errors into statuses and pages.
package app

import (
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/session"
	"github.com/nicksnyder/go-i18n/v2/i18n"

	"takaffoul/repository"
	"takaffoul/views"
)

// Config is what the web layer needs from the command line and environment.
type Config struct {
	// CookieSecure marks cookies Secure: set it when served over TLS.
	CookieSecure bool
	// RequestTimeout bounds each request's database work.
	RequestTimeout time.Duration
	// BodyLimit is the largest request body accepted (imports included).
	BodyLimit int
	// TrustedProxies are the addresses of the load balancers whose
	// X-Forwarded-For header gives the client's address (login throttling
	// counts per client address). Empty: the connection's address is used.
	TrustedProxies []string
	// SessionPurgeInterval is how often expired sessions are deleted
	// (default 10 minutes; negative disables it, for tests).
	SessionPurgeInterval time.Duration
}

// Server holds the dependencies every handler shares.
type Server struct {
	cfg      Config
	store    *repository.Store
	log      *slog.Logger
	messages *i18n.Bundle
	sessions *session.Store
	static   fs.FS
	// importSlots holds one token per import running (takeImportSlot).
	importSlots chan struct{}
}

// New builds the Fiber application with every route registered. It fails
// when the templates or the message files do not load.
func New(cfg Config, store *repository.Store, log *slog.Logger) (*fiber.App, error) {
	_, f, err := newServer(cfg, store, log)
	return f, err
}

// newServer is New, also returning the Server for the package's own tests.
func newServer(cfg Config, store *repository.Store, log *slog.Logger) (*Server, *fiber.App, error) {
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 15 * time.Second
	}
	if cfg.BodyLimit == 0 {
		cfg.BodyLimit = 12 << 20 // a 10 MB import plus its multipart envelope
	}
	if cfg.SessionPurgeInterval == 0 {
		cfg.SessionPurgeInterval = 10 * time.Minute
	}
	messages, err := loadMessages(views.FS)
	if err != nil {
		return nil, nil, err
	}
	engine, err := newEngine(views.FS)
	if err != nil {
		return nil, nil, err
	}
	static, err := fs.Sub(views.FS, "static")
	if err != nil {
		return nil, nil, fmt.Errorf("static files: %w", err)
	}
	s := &Server{cfg: cfg, store: store, log: log, messages: messages, static: static,
		importSlots: make(chan struct{}, maxConcurrentImports)}
	storage := store.SessionStorage(max(cfg.SessionPurgeInterval, 0))
	s.sessions = s.newSessions(storage)

	f := fiber.New(fiber.Config{
		// Values from c.Params, c.Query and the body otherwise point into a
		// buffer that the next request reuses.
		Immutable:               true,
		BodyLimit:               cfg.BodyLimit,
		ReadTimeout:             30 * time.Second,
		WriteTimeout:            10 * time.Minute, // large exports stream for a while
		IdleTimeout:             60 * time.Second,
		DisableStartupMessage:   true,
		ErrorHandler:            s.handleError,
		AppName:                 "takaffoul",
		Views:                   engine,
		EnableTrustedProxyCheck: len(cfg.TrustedProxies) > 0,
		TrustedProxies:          cfg.TrustedProxies,
		ProxyHeader:             proxyHeader(cfg.TrustedProxies),
		EnableIPValidation:      true, // the first valid address of X-Forwarded-For
	})
	f.Hooks().OnShutdown(storage.Close)
	f.Use(s.requestID, s.logRequests, s.recoverPanics, s.securityHeaders, s.withRequestTimeout)
	s.routes(f)
	return s, f, nil
}

func proxyHeader(trusted []string) string {
	if len(trusted) == 0 {
		return ""
	}
	return fiber.HeaderXForwardedFor
}
