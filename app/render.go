package app

import (
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"io/fs"
	"net/http"
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/template/html/v2"

	"takaffoul/domain"
)

// mainLayout wraps every page: header, navigation, language switch, flash.
const mainLayout = "layouts/main"

// Page is what every template receives. Handlers give only the page's own
// Data (and a Form when there is one); render fills in the rest.
//
// In templates:
//
//	{{.T "key"}}  {{.T "home.welcome" "Name" .User.Name}}  {{.N "users.count" (len .Data.Users)}}
//	{{.Form.Value "email"}}  {{.Form.Error "email"}}  {{datetime .Data.CreatedAt}}
//
// and inside {{range}}, $ is the Page: {{$.T "key"}}.
type Page struct {
	Lang  string       // "ar", "fr" or "en"
	Dir   string       // "rtl" or "ltr"
	Title string       // translated "title.<view>" (see render)
	User  *domain.User // nil when anonymous
	CSRF  string       // for the hidden "_csrf" field of every POST form
	Path  string       // where the language switch comes back to
	Nav   []NavItem    // the signed-in user's navigation
	Flash *Flash       // a one-time message after a redirect
	Form  *Form        // entered values and per-field errors
	Data  any          // the page's own data
	Error *ErrorInfo   // on error pages only
	tr    *Translator
}

// T translates a message key (see Translator.T).
func (p *Page) T(key string, args ...any) string { return p.tr.T(key, args...) }

// N translates a message with plural forms (see Translator.N).
func (p *Page) N(key string, count int, args ...any) string { return p.tr.N(key, count, args...) }

// Has reports whether the signed-in user has one of the roles (admins have
// them all). For showing links only: routes enforce roles themselves.
func (p *Page) Has(names ...string) bool {
	rs := make(roles, len(names))
	for i, name := range names {
		rs[i] = domain.Role(name)
	}
	return len(names) > 0 && rs.admits(p.User)
}

// LanguageOption is one button of the language switch.
type LanguageOption struct {
	Code, Name string
	Current    bool
}

// Languages are the choices of the language switch, each named in itself.
func (p *Page) Languages() []LanguageOption {
	out := make([]LanguageOption, 0, len(domain.Languages))
	for _, l := range domain.Languages {
		out = append(out, LanguageOption{Code: l, Name: p.tr.T("lang." + l), Current: l == p.Lang})
	}
	return out
}

// Flash is a message shown once, on the page after a redirect.
type Flash struct {
	Kind string // "success" or "error"
	Key  string // message key
}

// Form is a form's state as a page shows it: what the user entered, and
// what is wrong with it. A form type makes it (readForm, formOf; forms.go).
type Form struct {
	Values  map[string]string
	Errors  map[string]string // field → translated message
	Message string            // a translated message about the whole form
	Fields  []string          // the form's inputs, in the order of the page
	Summary []SummaryItem     // after a failed submit: what to fix, linking to each field
	// problems are what reading the form found (readForm), for Check.
	problems domain.Problems
}

// maxEchoedValue is the longest entered value a form shows again: a field
// pasted full of megabytes gets its "too long" message, not a copy of itself.
const maxEchoedValue = 20_000

// NewForm is a form holding the entered values, for a form with no form
// type of its own (pass the fields the form shows again; never a
// password): its fields are the values' names.
func NewForm(values map[string]string) *Form {
	form := &Form{Values: map[string]string{}, Errors: map[string]string{}, problems: domain.Problems{}}
	for field, v := range values {
		form.Values[field] = echoed(v)
		form.Fields = append(form.Fields, field)
	}
	sort.Strings(form.Fields)
	return form
}

// Value is what the user entered in field.
func (f *Form) Value(field string) string {
	if f == nil {
		return ""
	}
	return f.Values[field]
}

// Error is the message to show next to field, or "".
func (f *Form) Error(field string) string {
	if f == nil {
		return ""
	}
	return f.Errors[field]
}

// HasErrors reports whether anything is wrong with the form.
func (f *Form) HasErrors() bool { return f != nil && (len(f.Errors) > 0 || f.Message != "") }

// ErrorInfo is what an error page shows: never the error's own text.
type ErrorInfo struct {
	Status    int
	TitleKey  string
	BodyKey   string
	Problems  []string // translated: one per field (by name), then one per row of a refused file
	RequestID string
}

// newEngine loads the templates at start-up: a broken template stops the
// server from starting instead of failing page by page.
func newEngine(views fs.FS) (*html.Engine, error) {
	engine := html.NewFileSystem(http.FS(views), ".html")
	engine.AddFunc("datetime", isolatedDateTime)
	engine.AddFunc("date", isolatedDate)
	engine.AddFunc("dates", isolatedDates)
	engine.AddFunc("years", isolatedYears)
	engine.AddFunc("code", isolatedCode)
	engine.AddFunc("codeText", isolatedText)
	engine.AddFunc("fraction", isolatedFraction)
	engine.AddFunc("dict", dict)
	if err := engine.Load(); err != nil {
		return nil, fmt.Errorf("load views: %w", err)
	}
	if err := escapeViews(engine); err != nil {
		return nil, err
	}
	return engine, nil
}

// loadedEngine is the engine as fiber sees it: fiber.New loads its views
// (Views.Load), which would parse every template again, unescaped; this
// one is loaded and escaped already (newEngine).
type loadedEngine struct{ *html.Engine }

func (loadedEngine) Load() error { return nil }

// newViews is what fiber renders the pages with: newEngine's templates,
// which fiber.New does not load again.
func newViews(views fs.FS) (fiber.Views, error) {
	engine, err := newEngine(views)
	if err != nil {
		return nil, err
	}
	return loadedEngine{engine}, nil
}

// escapeViews does at start-up the contextual escaping that html/template
// otherwise does on a template's first execution, for every template that
// render executes (the pages and the layout).
//
// That first escaping writes to the template (html/template's escapeTemplate
// sets its escapeErr and Tree, under the template set's lock), while the
// engine's Render copies the template it looked up (*tmpl, gofiber/template
// html v2.1.3, html.go:147) holding no lock at all: the first renders of a
// page, when they come at once, race. A silent database made it happen,
// every page request of the moment answering with the error page, which
// nothing had shown before (TestFirstRendersRunConcurrently). Once every
// page is escaped, Render's copy only reads.
//
// Escaping needs an execution: each template is executed once, with no
// data, into io.Discard; that execution fails at the first field, which is
// expected. A template that cannot be escaped safely stops the start-up,
// like one that does not parse.
func escapeViews(engine *html.Engine) error {
	for _, t := range engine.Templates.Templates() {
		name := t.Name()
		if !strings.HasPrefix(name, "pages/") && !strings.HasPrefix(name, "layouts/") {
			continue
		}
		err := engine.Templates.ExecuteTemplate(io.Discard, name, nil)
		var unsafe *htmltemplate.Error
		if errors.As(err, &unsafe) {
			return fmt.Errorf("escape view %s: %w", name, err)
		}
	}
	return nil
}

// dict builds a map from name/value pairs, to pass several values to a
// partial: {{template "partials/input" (dict "Page" $ "Name" "email")}}.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, errors.New("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		m[fmt.Sprint(kv[i])] = kv[i+1]
	}
	return m, nil
}

// page builds the common part of every page for this request.
func (s *Server) page(c *fiber.Ctx, view string) *Page {
	t := s.tr(c)
	p := &Page{
		Lang: t.Lang, Dir: t.Dir(), User: currentUser(c), CSRF: csrfToken(c),
		Path: returnPath(c), Form: NewForm(nil), tr: t,
	}
	p.Title = t.T("title." + strings.ReplaceAll(view, "/", "."))
	if p.User != nil {
		p.Nav = navigationFor(p.User, c.Path())
	}
	return p
}

// render writes the page view ("users/list" is views/pages/users/list.html)
// with data, status 200. Its <title> is the message "title.<view>" with
// slashes as dots ("title.users.list"): add that key with a new page.
func (s *Server) render(c *fiber.Ctx, view string, data any) error {
	return s.renderPage(c, fiber.StatusOK, view, data, nil)
}

// renderForm renders a form: with err nil, as it is (422 when it carries
// problems of its own); after a failed POST, again with the values the user
// entered and what the error says (classify), with the error's status:
// messages next to their fields (invalid input, a code already in use), or
// the refusal's own sentence above the form ("try again in a minute").
// Any other error is returned to the error handler.
//
//	if err := s.store.CreateUser(ctx, u, password, userIDOf(me)); err != nil {
//	    return s.renderForm(c, "users/new", nil, form, err)
//	}
func (s *Server) renderForm(c *fiber.Ctx, view string, data any, form *Form, err error) error {
	status := fiber.StatusOK
	if err != nil {
		a := classify(err)
		if len(a.fields) == 0 && !a.own {
			return err
		}
		for field, msg := range s.tr(c).FieldProblems(a.fields) {
			form.Errors[field] = msg
		}
		if a.own {
			form.Message = s.tr(c).T(a.key)
		}
		status = a.status
	}
	if form.HasErrors() {
		if form.Message == "" {
			form.Message = s.tr(c).T("form.invalid")
		}
		if status == fiber.StatusOK {
			status = fiber.StatusUnprocessableEntity
		}
		form.Summary = errorSummary(s.tr(c), form)
	}
	return s.renderPage(c, status, view, data, form)
}

// renderFormAgain answers a failed submit: the form again, with what was
// entered and what err says (renderForm), the page's other data loaded
// only now, on this path alone, by load. An error that is not about the
// form (a 404, a 500) goes to the error handler, loading nothing.
//
//	if err != nil {
//	    return s.renderFormAgain(c, "courses/form", form, err, func() (any, error) { return s.courseFormData(c, nil) })
//	}
func (s *Server) renderFormAgain(c *fiber.Ctx, view string, form *Form, err error, load func() (any, error)) error {
	if a := classify(err); len(a.fields) == 0 && !a.own {
		return err
	}
	data, loadErr := load()
	if loadErr != nil {
		return loadErr
	}
	return s.renderForm(c, view, data, form, err)
}

// renderPage is render with a status and a form.
func (s *Server) renderPage(c *fiber.Ctx, status int, view string, data any, form *Form) error {
	p := s.page(c, view)
	p.Data = data
	if form != nil {
		p.Form = form
	}
	if c.Locals(flashKey) == true {
		p.Flash = s.popFlash(c)
	}
	return s.writePage(c, status, "pages/"+view, p)
}

func (s *Server) writePage(c *fiber.Ctx, status int, template string, p *Page) error {
	c.Status(status)
	if err := c.Render(template, p, mainLayout); err != nil {
		return fmt.Errorf("render %s: %w", template, err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return nil
}

// returnPath is where the language switch sends the user back to: this
// page for a GET, the home page after a POST (its URL is an action).
func returnPath(c *fiber.Ctx) string {
	if c.Method() != fiber.MethodGet {
		return "/"
	}
	return c.OriginalURL()
}

// NavItem is one link of the navigation.
type NavItem struct {
	Href    string
	Key     string // message key of the label
	Current bool
}

// navigation lists every navigation link with the guard of its route
// (routes.go); add yours here. Routes enforce access themselves: this list
// only avoids showing links that would answer 403.
var navigation = []struct {
	Href  string
	Key   string
	Guard roles
}{
	{"/", "nav.home", everyone},
	{"/courses", "nav.courses", workers},
	{"/programmes", "nav.programmes", coordinators},
	{"/imports", "nav.imports", workers},
	{"/duplicates", "nav.duplicates", coordinators},
	{"/offline/conflicts", "nav.offline_conflicts", coordinators},
	{"/dashboard", "nav.dashboard", readers},
	{"/users", "nav.users", admins},
	{"/audit", "nav.audit", coordinators},
}

func navigationFor(u *domain.User, path string) []NavItem {
	var items []NavItem
	for _, n := range navigation {
		if !n.Guard.admits(u) {
			continue
		}
		current := path == n.Href || (n.Href != "/" && strings.HasPrefix(path, n.Href+"/"))
		items = append(items, NavItem{Href: n.Href, Key: n.Key, Current: current})
	}
	return items
}

// setFlash keeps a message for the next page the user sees (after a redirect).
func (s *Server) setFlash(c *fiber.Ctx, kind, key string) error {
	sess, err := s.sessions.Get(c)
	if err != nil {
		return err
	}
	sess.Set(sessionFlash, kind+":"+key)
	return sess.Save()
}

// popFlash takes the waiting flash message out of the session.
func (s *Server) popFlash(c *fiber.Ctx) *Flash {
	sess, err := s.sessions.Get(c)
	if err != nil {
		s.log.Warn("flash: session unavailable", "error", err)
		return nil
	}
	raw, _ := sess.Get(sessionFlash).(string)
	sess.Delete(sessionFlash)
	if err := sess.Save(); err != nil {
		s.log.Warn("flash: session not saved", "error", err)
	}
	kind, key, ok := strings.Cut(raw, ":")
	if !ok {
		return nil
	}
	return &Flash{Kind: kind, Key: key}
}
