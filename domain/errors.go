// Package domain holds Takaffoul's entities, their rules and the counting
// rules of the ministry's figures. It knows nothing of HTTP, SQL or templates.
package domain

import (
	"errors"
	"sort"
	"strings"
)

// The kinds of error, each answered with its own status by the one
// classification of the HTTP layer (app/errors.go, classify). The store
// returns them, translated from the database's (repository/errors.go,
// mapError); handlers return them for what they refuse. Test with
// errors.Is: a *ValidationError is ErrInvalid, a *Refusal is its Kind.
var (
	ErrInvalid         = errors.New("invalid input")     // 422: what to fix, field by field (*ValidationError) or row by row (*ImportError)
	ErrNotFound        = errors.New("not found")         // 404
	ErrForbidden       = errors.New("forbidden")         // 403, or 404 where existence must not leak
	ErrConflict        = errors.New("conflict")          // 409: it exists already
	ErrUnauthenticated = errors.New("not signed in")     // 401 (a page: to the login page)
	ErrTooLarge        = errors.New("too large")         // 413: over a limit of size
	ErrBusy            = errors.New("too many at once")  // 429: try again in a moment
	ErrUnavailable     = errors.New("unavailable")       // 503: the database unreachable or too slow to answer
	ErrMalformed       = errors.New("malformed request") // 400: not even readable (a body that is not JSON)
)

// Refusal is an error of one of the kinds above that says more than its
// kind: its own message key (what to do instead: "ask a coordinator", "try
// again in a minute") and problems to show next to fields (an e-mail
// address already in use). It is its Kind for errors.Is, and keeps its
// cause for the log.
type Refusal struct {
	Kind   error              // one of the kinds above
	Key    string             // message key of the sentence; "" for the kind's own
	Fields map[string]Problem // problems to show next to fields; nil for none
	Cause  error              // what went wrong, for the log; nil for none
}

// Refuse is a refusal of kind whose sentence is the message key.
func Refuse(kind error, key string) *Refusal { return &Refusal{Kind: kind, Key: key} }

// Because keeps cause with the refusal, for the log.
func (r *Refusal) Because(cause error) *Refusal {
	c := *r
	c.Cause = cause
	return &c
}

func (r *Refusal) Error() string {
	msg := r.Kind.Error()
	if r.Key != "" {
		msg += " (" + r.Key + ")"
	}
	for _, field := range problemFields(r.Fields) {
		msg += ", " + field + ": " + r.Fields[field].Key
	}
	if r.Cause != nil {
		msg += ": " + r.Cause.Error()
	}
	return msg
}

// Unwrap makes errors.Is(r, r.Kind) true, and reaches the cause.
func (r *Refusal) Unwrap() []error {
	if r.Cause == nil {
		return []error{r.Kind}
	}
	return []error{r.Kind, r.Cause}
}

// Unwrap makes a refused file ErrTooLarge when a limit refused it (its
// size, rows, columns, what it unpacks to), ErrInvalid otherwise.
func (e *ImportError) Unwrap() error {
	if e.OverLimit() {
		return ErrTooLarge
	}
	return ErrInvalid
}

func problemFields(fields map[string]Problem) []string {
	names := make([]string, 0, len(fields))
	for field := range fields {
		names = append(names, field)
	}
	sort.Strings(names)
	return names
}

// Problem is what is wrong with one field: a message key (never a sentence;
// the views translate keys into the user's language) and, for keys such as
// "validation.max", the parameter the message needs.
type Problem struct {
	Key   string
	Param string
}

// ValidationError carries, for each invalid field (named as in the JSON API
// and the forms), the problem to show next to it.
type ValidationError struct {
	Fields map[string]Problem
}

// Error lists the fields and keys, for logs and tests only.
func (e *ValidationError) Error() string {
	parts := make([]string, 0, len(e.Fields))
	for _, field := range problemFields(e.Fields) {
		parts = append(parts, field+": "+e.Fields[field].Key)
	}
	return "invalid input: " + strings.Join(parts, ", ")
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// Problems collects field problems while a value is validated.
type Problems map[string]Problem

// Add records key for field unless the field already has a problem: the first
// problem found is the one the user needs to fix first.
func (p Problems) Add(field, key string) { p.AddParam(field, key, "") }

// AddParam is Add for a message that needs a parameter (a length, a limit).
func (p Problems) AddParam(field, key, param string) {
	if _, seen := p[field]; !seen {
		p[field] = Problem{Key: key, Param: param}
	}
}

// Err returns a *ValidationError when there are problems, nil otherwise.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return &ValidationError{Fields: map[string]Problem(p)}
}

// Invalid is a shortcut for a validation error on a single field.
func Invalid(field, key string) error {
	return &ValidationError{Fields: map[string]Problem{field: {Key: key}}}
}

// AsValidation reports whether err is (or wraps) a *ValidationError.
func AsValidation(err error) (*ValidationError, bool) {
	var v *ValidationError
	ok := errors.As(err, &v)
	return v, ok
}
