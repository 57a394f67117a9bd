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

// formInt reads an integer field, in ASCII, Arabic-Indic or Persian digits
// (domain.CleanNumber); an entry that is not a number is recorded in p,
// quoted, and read as 0.
func formInt(c *fiber.Ctx, field string, p domain.Problems) int {
	v := domain.CleanNumber(c.FormValue(field))
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		p.AddParam(field, "text.not_a_number", domain.Visible(c.FormValue(field)))
	}
	return n
}

// formOptionalInt is formInt for a field that may be left empty.
func formOptionalInt(c *fiber.Ctx, field string, p domain.Problems) *int {
	if domain.CleanNumber(c.FormValue(field)) == "" {
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
	v := domain.CleanNumber(value)
	if v == "" {
		return domain.Date{}
	}
	d, err := domain.ParseDate(v)
	if err != nil {
		p.Add(field, "validation.date_format")
	}
	return d
}

// formFloat reads a decimal number, with a dot, a comma or the Arabic
// decimal separator as people write it, in any digits (domain.CleanNumber).
func formFloat(c *fiber.Ctx, field string, p domain.Problems) float64 {
	v := strings.ReplaceAll(domain.CleanNumber(c.FormValue(field)), ",", ".")
	if v == "" {
		return 0
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		p.AddParam(field, "text.not_a_number", domain.Visible(c.FormValue(field)))
	}
	return f
}

// queryInt reads an optional integer from the query string in any digits
// people type; 0 when absent or not a number, as Fiber's QueryInt.
func queryInt(c *fiber.Ctx, key string) int {
	n, err := strconv.Atoi(domain.CleanNumber(c.Query(key)))
	if err != nil {
		return 0
	}
	return n
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
