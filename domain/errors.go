// Package domain holds Takaffoul's entities, their rules and the counting
// rules of the ministry's figures. It knows nothing of HTTP, SQL or templates.
package domain

import (
	"errors"
	"sort"
	"strings"
)

// Sentinel errors that the store returns and the one HTTP error handler maps
// to a status: ErrNotFound → 404, ErrConflict → 409, ErrForbidden → 403/404,
// ErrUnavailable (the database unreachable or too slow to answer) → 503.
var (
	ErrNotFound    = errors.New("not found")
	ErrConflict    = errors.New("conflict")
	ErrForbidden   = errors.New("forbidden")
	ErrUnavailable = errors.New("unavailable")
)

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
	for field, p := range e.Fields {
		parts = append(parts, field+": "+p.Key)
	}
	sort.Strings(parts)
	return "invalid input: " + strings.Join(parts, ", ")
}

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
