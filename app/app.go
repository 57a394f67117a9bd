// Package app is Takaffoul's web layer: routes, middleware, handlers and the
// one error handler that turns errors into statuses and pages.
package app

import (
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"runtime"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/session"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/valyala/fasthttp"

	"takaffoul/domain"
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
	// LoginConcurrency is how many logins may check a password at once
	// (bcrypt takes a core for ~70 ms); default half of GOMAXPROCS, at
	// least 1. See passwordGate.
	LoginConcurrency int
	// SetupToken is the one-time secret of the first-run page
	// (/setup?token=…, setup.go): serve makes one when the database holds
	// no account. Empty: no setup page.
	SetupToken string
	// ImportWait is how long an import request waits for its job before
	// answering with the job's status (default defaultImportWait).
	ImportWait time.Duration
	// IATI is the publisher's identifiers in the IATI export (default: the
	// placeholder DefaultIATIReportingOrg; docs/INDICATORS.md).
	IATI IATI
}

// Server holds the dependencies every handler shares.
type Server struct {
	cfg      Config
	store    *repository.Store
	log      *slog.Logger
	messages *i18n.Bundle
	sessions *session.Store
	// sessionStorage is the sessions' storage, asked whether a session could
	// not be read when a CSRF check fails.
	sessionStorage *repository.SessionStorage
	static         fs.FS
	// importSlots holds one token per import running (takeImportSlot).
	importSlots chan struct{}

	loginGate     passwordGate
	checkPassword func(*domain.User, string) bool // domain.Authenticate; tests count the calls
	firstRun      firstRun
	// openRoutes is this server's copy of publicRoutes: a test adds its own
	// routes to it without touching what other servers read concurrently.
	openRoutes map[string]bool
	// tokens remembers the users of API tokens for the enrolment API (token_cache.go).
	tokens *tokenCache
}

// New builds the Fiber application with every route registered. It fails
// when the templates or the message files do not load.
func New(cfg Config, store *repository.Store, log *slog.Logger) (*fiber.App, error) {
	_, f, err := newServer(cfg, store, log)
	return f, err
}

// sessionCallsPerRequest is how many session-storage calls a page makes at
// most: the CSRF middleware reads and saves the session, authenticate reads it.
const sessionCallsPerRequest = 3

// sharedViews are the embedded views, loaded and escaped once per process
// (newViews, escapeViews; render.go): they never change, and every server of
// a process (the tests make many) shares them.
var sharedViews = sync.OnceValues(func() (fiber.Views, error) { return newViews(views.FS) })

// newServer is New, also returning the Server for the package's own tests.
func newServer(cfg Config, store *repository.Store, log *slog.Logger) (*Server, *fiber.App, error) {
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 15 * time.Second
	}
	if cfg.BodyLimit == 0 {
		cfg.BodyLimit = 12 << 20 // a 10 MB import plus its multipart envelope
	}
	if cfg.ImportWait == 0 {
		cfg.ImportWait = defaultImportWait
	}
	if cfg.SessionPurgeInterval == 0 {
		cfg.SessionPurgeInterval = 10 * time.Minute
	}
	cfg.IATI = cfg.IATI.WithDefaults()
	messages, err := loadMessages(views.FS)
	if err != nil {
		return nil, nil, err
	}
	engine, err := sharedViews()
	if err != nil {
		return nil, nil, err
	}
	static, err := fs.Sub(views.FS, "static")
	if err != nil {
		return nil, nil, fmt.Errorf("static files: %w", err)
	}
	if cfg.LoginConcurrency <= 0 {
		cfg.LoginConcurrency = max(1, runtime.GOMAXPROCS(0)/2) // the other half serves the other pages
	}
	s := &Server{cfg: cfg, store: store, log: log, messages: messages, static: static,
		importSlots: make(chan struct{}, maxConcurrentImports),
		loginGate:   newPasswordGate(cfg.LoginConcurrency), checkPassword: domain.Authenticate,
		openRoutes: maps.Clone(publicRoutes), tokens: newTokenCache()}
	// A page reads the session twice and saves it once (CSRF, authenticate):
	// the three calls share the request's time, so that a silent database
	// still gets the page its 503 within the request timeout.
	storage := store.SessionStorage(max(cfg.SessionPurgeInterval, 0), cfg.RequestTimeout/sessionCallsPerRequest)
	s.sessions, s.sessionStorage = s.newSessions(storage), storage

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
	f.Use(s.requestID, s.logRequests, s.recoverPanics, s.securityHeaders, s.compressResponses, s.withRequestTimeout)
	s.routes(f)
	listAppsForRender(f)
	return s, f, nil
}

// listAppsForRender: fiber lists an app's apps (itself and those mounted)
// for Ctx.Render on the first render, and writes that list holding no lock
// (Ctx.renderExtensions → App.generateAppListKeys, fiber v2.52.15
// ctx.go:1647): the first pages rendered at once race on it. A render now,
// before any request, makes the list; it renders nothing (there is no view
// named "").
func listAppsForRender(f *fiber.App) {
	c := f.AcquireCtx(&fasthttp.RequestCtx{})
	defer f.ReleaseCtx(c)
	_ = c.Render("", nil)
}

func proxyHeader(trusted []string) string {
	if len(trusted) == 0 {
		return ""
	}
	return fiber.HeaderXForwardedFor
}
