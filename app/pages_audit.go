package app

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/nicksnyder/go-i18n/v2/i18n"

	"takaffoul/domain"
	"takaffoul/repository"
)

// auditPageSize is the number of changes on one page of the audit log.
const auditPageSize = 50

// auditFilterForm is the audit page's filter (a GET form): by person,
// course, session, user and action, and days (Africa/Casablanca) from and to,
// both included.
type auditFilterForm struct {
	Person  *int64       `form:"person"`
	Course  *int64       `form:"course"`
	Session *int64       `form:"session"`
	User    *int64       `form:"user"`
	Action  string       `form:"action"`
	From    *domain.Date `form:"from"`
	To      *domain.Date `form:"to"`
}

// filter is the store's filter for the form's values; To takes the whole day.
func (f auditFilterForm) filter() repository.AuditFilter {
	out := repository.AuditFilter{TraineeID: f.Person, CourseID: f.Course, SessionID: f.Session, ActorID: f.User, Action: f.Action}
	day := func(d domain.Date, days int) *time.Time {
		t := time.Date(d.Year(), d.Month(), d.Day()+days, 0, 0, 0, 0, domain.Casablanca)
		return &t
	}
	if f.From != nil {
		out.From = day(*f.From, 0)
	}
	if f.To != nil {
		out.To = day(*f.To, 1)
	}
	return out
}

// auditPageData is one page of the audit log with what the filter offers.
type auditPageData struct {
	Changes      []shownChange
	Actions      []string
	Users        []domain.User
	Newer, Older string // links to the neighbouring pages; "" for none
}

// shownChange is a LoggedChange as a page lists it: its fields, each with
// the value before and after.
type shownChange struct {
	repository.LoggedChange
	Fields []fieldChange
}

// fieldChange is one field of a change; "" is a value that was not there.
type fieldChange struct {
	Name, Before, After string
}

// showChanges lays out each change's before and after field by field, in
// the order of the field names.
func showChanges(changes []repository.LoggedChange) []shownChange {
	out := make([]shownChange, len(changes))
	for i, ch := range changes {
		out[i] = shownChange{LoggedChange: ch, Fields: fieldsChanged(ch.Before, ch.After)}
	}
	return out
}

// fieldsChanged pairs the fields of two JSON objects (either may be null,
// or not an object: then it is shown whole, as the field "").
func fieldsChanged(before, after json.RawMessage) []fieldChange {
	was, wasObject := objectFields(before)
	now, nowObject := objectFields(after)
	if !wasObject || !nowObject {
		return []fieldChange{{Before: jsonText(before), After: jsonText(after)}}
	}
	names := make([]string, 0, len(was)+len(now))
	for name := range was {
		names = append(names, name)
	}
	for name := range now {
		if _, ok := was[name]; !ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	fields := make([]fieldChange, 0, len(names))
	for _, name := range names {
		fields = append(fields, fieldChange{Name: name, Before: jsonText(was[name]), After: jsonText(now[name])})
	}
	return fields
}

// objectFields reads a JSON object; null is the empty object.
func objectFields(raw json.RawMessage) (map[string]json.RawMessage, bool) {
	fields := map[string]json.RawMessage{}
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return fields, true
	}
	return fields, json.Unmarshal(raw, &fields) == nil
}

// jsonText writes a JSON value for a person to read: a string without its
// quotes, null as nothing.
func jsonText(raw json.RawMessage) string {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// auditPage lists the audit log, newest first, a page at a time, as the
// filter narrows it. Coordinators and admins only: it shows people's data
// and who changed what.
func (s *Server) auditPage(c *fiber.Ctx) error {
	var in auditFilterForm
	form := readForm(c, &in)
	page, err := pageOf(c, auditPageSize, auditPageSize)
	if err != nil {
		return err
	}
	data := &auditPageData{}
	if data.Actions, err = s.store.AuditActions(c.UserContext()); err != nil {
		return err
	}
	if data.Users, err = s.store.Users(c.UserContext(), repository.Page{Limit: repository.MaxRows}); err != nil {
		return err
	}
	if err := form.Check(nil); err != nil {
		return s.renderForm(c, "audit/list", data, form, err)
	}
	changes, err := s.store.AuditLog(c.UserContext(), in.filter(), page.ask())
	if err != nil {
		return err
	}
	if len(changes) > page.limit {
		changes = changes[:page.limit]
		data.Older = pageLink(c, page.offset+page.limit)
	}
	if page.offset > 0 {
		data.Newer = pageLink(c, max(page.offset-page.limit, 0))
	}
	data.Changes = showChanges(changes)
	return s.renderForm(c, "audit/list", data, form, nil)
}

// pageLink is this page's URL, its filter kept, at offset.
func pageLink(c *fiber.Ctx, offset int) string {
	q, _ := url.ParseQuery(string(c.Request().URI().QueryString()))
	q.Del("limit")
	if offset == 0 {
		q.Del("offset")
	} else {
		q.Set("offset", strconv.Itoa(offset))
	}
	if len(q) == 0 {
		return c.Path()
	}
	return c.Path() + "?" + q.Encode()
}

// historyLength is how many of its latest changes a person's or a
// session's page shows; the audit page has the rest.
const historyLength = 50

// history is the latest changes that f selects, for a page's history.
func (s *Server) history(c *fiber.Ctx, f repository.AuditFilter) ([]shownChange, error) {
	changes, err := s.store.AuditLog(c.UserContext(), f, repository.Page{Limit: historyLength})
	if err != nil {
		return nil, err
	}
	return showChanges(changes), nil
}

// TOr translates key, or answers fallback when no message has that key
// (an audit action or a field added since the messages were written):
// the log's own codes are better than a key on the page.
func (p *Page) TOr(key, fallback string) string {
	if _, err := p.tr.localizer.Localize(&i18n.LocalizeConfig{MessageID: key}); err != nil {
		return fallback
	}
	return p.T(key)
}

// auditValueLabels are the fields whose stored codes have a message of
// their own, by the message's prefix: a change shows "Late", not "late".
var auditValueLabels = map[string]string{"category": "category.", "sex": "sex.", "kind": "kind.", "role": "role.",
	"figure": "dashboard.figure.", "scope": "consent.scope.", "method": "consent.method."}

// AuditValue is a field's value in a change as a person reads it: the
// code's message where it has one, else the value as stored. A status is
// a mark's or an enrolment's, depending on the entity.
func (p *Page) AuditValue(entity, field, value string) string {
	prefix, ok := auditValueLabels[field]
	switch {
	case field == "status" && entity == "attendance":
		prefix, ok = "attendance.", true
	case field == "status" && entity == "enrollment":
		prefix, ok = "export.enrollment.", true
	}
	if !ok || value == "" {
		return value
	}
	return p.TOr(prefix+value, value)
}
