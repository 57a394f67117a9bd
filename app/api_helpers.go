package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
)

// errMalformedJSON is answered 400: the body is not JSON at all.
var errMalformedJSON = fiber.NewError(fiber.StatusBadRequest, "malformed JSON")

// decodeJSON reads the request body into dst. Fields already set in dst are
// kept when the body omits them, which is what PATCH needs. Broken JSON is a
// 400; a value of the wrong type or an unknown field is a 422 on that field.
func decodeJSON(c *fiber.Ctx, dst any) error {
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
	switch {
	case errors.As(err, &typeErr):
		return domain.Invalid(jsonFieldName(typeErr.Field), "validation.type")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return domain.Invalid(field, "validation.unknown_field")
	}
	// A date or time the decoder could not read: it does not say which field.
	var timeErr *time.ParseError
	if errors.As(err, &timeErr) {
		return domain.Invalid("date", "validation.date_format")
	}
	return errMalformedJSON
}

// jsonFieldName keeps the last segment of a nested field path.
func jsonFieldName(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
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
