package app

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
)

// formValues collects the named form fields, to show them again in a form
// that failed validation.
func formValues(c *fiber.Ctx, fields ...string) map[string]string {
	values := make(map[string]string, len(fields))
	for _, f := range fields {
		values[f] = c.FormValue(f)
	}
	return values
}

// formInt reads an integer field; an entry that is not a number is recorded
// in p and read as 0.
func formInt(c *fiber.Ctx, field string, p domain.Problems) int {
	v := strings.TrimSpace(c.FormValue(field))
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		p.Add(field, "validation.type")
	}
	return n
}

// formOptionalInt is formInt for a field that may be left empty.
func formOptionalInt(c *fiber.Ctx, field string, p domain.Problems) *int {
	if strings.TrimSpace(c.FormValue(field)) == "" {
		return nil
	}
	n := formInt(c, field, p)
	return &n
}

// formOptional is a text field that may be left empty (nil then).
func formOptional(c *fiber.Ctx, field string) *string {
	v := strings.TrimSpace(c.FormValue(field))
	if v == "" {
		return nil
	}
	return &v
}

// formDate reads a "2006-01-02" day (what <input type="date"> sends).
func formDate(c *fiber.Ctx, field string, p domain.Problems) domain.Date {
	return optionalDate(field, c.FormValue(field), p)
}

// optionalDate reads a "2006-01-02" day that may be left empty; a day
// written otherwise is recorded in p.
func optionalDate(field, value string, p domain.Problems) domain.Date {
	v := strings.TrimSpace(value)
	if v == "" {
		return domain.Date{}
	}
	d, err := domain.ParseDate(v)
	if err != nil {
		p.Add(field, "validation.date_format")
	}
	return d
}

// formFloat reads a decimal number, with a dot or a comma as people write it.
func formFloat(c *fiber.Ctx, field string, p domain.Problems) float64 {
	v := strings.ReplaceAll(strings.TrimSpace(c.FormValue(field)), ",", ".")
	if v == "" {
		return 0
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		p.Add(field, "validation.type")
	}
	return f
}

// formBool reads a checkbox.
func formBool(c *fiber.Ctx, field string) bool {
	switch c.FormValue(field) {
	case "on", "true", "1", "yes":
		return true
	}
	return false
}

// withProblems merges what form parsing found with the store's answer, so
// that a form shows every problem at once.
func withProblems(p domain.Problems, err error) error {
	if len(p) == 0 {
		return err
	}
	if v, ok := domain.AsValidation(err); ok {
		for field, problem := range v.Fields {
			p.AddParam(field, problem.Key, problem.Param)
		}
	}
	return p.Err()
}
