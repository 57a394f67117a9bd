package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// errMalformedJSON is answered 400: the body is not JSON at all.
var errMalformedJSON = fmt.Errorf("body: %w", domain.ErrMalformed)

// decodeJSON reads the request body into dst. Fields already set in dst are
// kept when the body omits them, which is what PATCH needs. Broken JSON is a
// 400; a value of the wrong type or an unknown field is a 422 on that field,
// and so is a string that is not UTF-8 (which the decoder would silently
// turn into U+FFFD).
func decodeJSON(c *fiber.Ctx, dst any) error {
	if !utf8.Valid(c.Body()) {
		return brokenUTF8(c.Body())
	}
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			return errMalformedJSON
		}
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return domain.Invalid(jsonFieldName(typeErr.Field), "validation.type")
	}
	// The decoder's error for an unknown field has no type of its own: the
	// body itself, read against dst's fields, names it.
	if field, ok := unknownField(c.Body(), reflect.TypeOf(dst)); ok {
		return domain.Invalid(field, "validation.unknown_field")
	}
	// A date or time the decoder could not read: it does not say which field.
	var timeErr *time.ParseError
	if errors.As(err, &timeErr) {
		return domain.Invalid("date", "validation.date_format")
	}
	return errMalformedJSON
}

// unknownField names the first key of the JSON value raw, in the order
// written, that the Go type t has no field for, looking into nested objects
// and arrays as the decoder does (a field's JSON name, or its Go name in any
// letter case; embedded structs' fields count as their own). Values that
// decode themselves (dates, times) and maps take any key.
func unknownField(raw []byte, t reflect.Type) (string, bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		return "", false
	}
	switch t.Kind() {
	case reflect.Struct:
		fields := jsonFields(t, map[string]reflect.Type{})
		dec := json.NewDecoder(bytes.NewReader(raw))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			return "", false // not an object: the decoder's type error says so
		}
		for dec.More() {
			tok, err := dec.Token()
			key, isKey := tok.(string)
			var value json.RawMessage
			if err != nil || !isKey || dec.Decode(&value) != nil {
				return "", false
			}
			fieldType, known := fields[strings.ToLower(key)]
			if !known {
				return key, true
			}
			if name, ok := unknownField(value, fieldType); ok {
				return name, true
			}
		}
	case reflect.Slice, reflect.Array:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return "", false
		}
		for _, item := range items {
			if name, ok := unknownField(item, t.Elem()); ok {
				return name, true
			}
		}
	}
	return "", false
}

var jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()

// jsonFields adds the fields the decoder fills in a struct of type t to
// fields, by lower-cased JSON name (the decoder matches names in any case);
// a field of t itself hides one of the same name in an embedded struct.
func jsonFields(t reflect.Type, fields map[string]reflect.Type) map[string]reflect.Type {
	var embedded []reflect.Type
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		inner := f.Type
		for inner.Kind() == reflect.Pointer {
			inner = inner.Elem()
		}
		switch {
		case name == "-":
		case f.Anonymous && name == "" && inner.Kind() == reflect.Struct:
			embedded = append(embedded, inner)
		case f.IsExported():
			if name == "" {
				name = f.Name
			}
			fields[strings.ToLower(name)] = f.Type
		}
	}
	for _, e := range embedded {
		for name, typ := range jsonFields(e, map[string]reflect.Type{}) {
			if _, hidden := fields[name]; !hidden {
				fields[name] = typ
			}
		}
	}
	return fields
}

// brokenUTF8 names the field whose string holds the first byte that is not
// UTF-8, quoting the string with that byte made visible; a body that is not
// JSON at all is malformed.
func brokenUTF8(body []byte) error {
	bad := 0
	for i := 0; i < len(body); {
		r, size := utf8.DecodeRune(body[i:])
		if r == utf8.RuneError && size == 1 {
			bad = i
			break
		}
		i += size
	}
	field, raw, ok := jsonStringAt(body, bad)
	if !ok {
		return errMalformedJSON
	}
	if field == "" {
		field = "text"
	}
	return &domain.ValidationError{Fields: map[string]domain.Problem{
		jsonFieldName(field): {Key: "text.broken_encoding", Param: domain.Visible(raw)}}}
}

// jsonStringAt walks the JSON tokens of body to the one that holds byte
// offset: it returns the key of the innermost object around it (the key
// itself when the byte is in a key) and the token's raw text.
func jsonStringAt(body []byte, offset int) (field string, raw string, ok bool) {
	type frame struct {
		object, wantKey bool
		key             string
	}
	stack := []frame{{}}
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return "", "", false
		}
		top := &stack[len(stack)-1]
		isKey := top.object && top.wantKey && tok != json.Delim('}')
		if isKey {
			top.key, _ = tok.(string)
		}
		if int(dec.InputOffset()) > offset {
			for i := len(stack) - 1; i >= 0; i-- {
				if stack[i].object {
					field = stack[i].key
					break
				}
			}
			return field, strings.Trim(string(body[start:dec.InputOffset()]), " \t\r\n,:\""), true
		}
		switch {
		case tok == json.Delim('{'):
			stack = append(stack, frame{object: true, wantKey: true})
		case tok == json.Delim('['):
			stack = append(stack, frame{})
		case tok == json.Delim('}') || tok == json.Delim(']'):
			stack = stack[:len(stack)-1]
			if parent := &stack[len(stack)-1]; parent.object {
				parent.wantKey = true
			}
		case isKey:
			top.wantKey = false
		case top.object:
			top.wantKey = true // a value: the next string is a key
		}
	}
}

// jsonFieldName keeps the last segment of a nested field path.
func jsonFieldName(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// readOnly is a field the API answers with and the server alone sets (an
// id): a client may send it back, as in a record read, changed and sent
// again, and it is ignored. Any other field an input type does not list is
// refused (decodeJSON). docs/API.md, "Fields the server sets".
type readOnly struct{}

// UnmarshalJSON ignores the value, whatever it is.
func (*readOnly) UnmarshalJSON([]byte) error { return nil }

// jsonTime reads an RFC 3339 time of a JSON body ("2026-03-31T09:00:00+01:00")
// that may be left empty; a time written otherwise is recorded in p on its field.
func jsonTime(field, value string, p domain.Problems) time.Time {
	if value == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, domain.CleanNumber(value))
	if err != nil {
		p.Add(field, "validation.date_format")
	}
	return t
}

// paramID reads a numeric id from the path; anything else is "not found",
// as an id that does not exist would be.
func paramID(c *fiber.Ctx, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, domain.ErrNotFound
	}
	return id, nil
}

// created answers 201 with the new resource as JSON.
func created(c *fiber.Ctx, v any) error {
	return c.Status(fiber.StatusCreated).JSON(v)
}

// listPage is the page a list endpoint answers: ?limit= rows (the
// endpoint's default when absent or 0; at most its maximum, as for a
// trainer's search) after ?offset= rows. docs/API.md, "Lists".
type listPage struct {
	limit, offset int
}

// pageOf reads ?limit= and ?offset=, in any digits people type; a value
// that is not a whole number of 0 or more is a 422 on its field.
func pageOf(c *fiber.Ctx, byDefault, most int) (listPage, error) {
	p := domain.Problems{}
	page := listPage{limit: queryCount(c, "limit", p), offset: queryCount(c, "offset", p)}
	if page.limit == 0 {
		page.limit = byDefault
	}
	page.limit = min(page.limit, most)
	return page, p.Err()
}

// queryCount reads an optional count of 0 or more from the query string.
func queryCount(c *fiber.Ctx, field string, p domain.Problems) int {
	v := domain.CleanNumber(c.Query(field))
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	switch {
	case err != nil:
		p.AddParam(field, "text.not_a_number", domain.Visible(c.Query(field)))
	case n < 0:
		p.AddParam(field, "validation.gte", "0")
	}
	return max(n, 0)
}

// ask is what to ask the store for: one row more than the page, which says
// whether another page follows.
func (p listPage) ask() repository.Page { return repository.Page{Limit: p.limit + 1, Offset: p.offset} }

// sendList answers a list endpoint, the same way everywhere: a JSON array
// of at most the page's rows ([] for none, never null), and, when more
// follow, a Link header to the next page (rel="next"), this URL with the
// offset moved on. rows is what the store answered to p.ask().
func sendList[T any](c *fiber.Ctx, p listPage, rows []T) error {
	if rows == nil {
		rows = []T{}
	}
	if len(rows) > p.limit {
		rows = rows[:p.limit]
		next, err := url.Parse(c.OriginalURL())
		if err != nil {
			return err
		}
		q := next.Query()
		q.Set("limit", strconv.Itoa(p.limit))
		q.Set("offset", strconv.Itoa(p.offset+p.limit))
		next.RawQuery = q.Encode()
		c.Set(fiber.HeaderLink, "<"+next.String()+`>; rel="next"`)
	}
	return c.JSON(rows)
}
