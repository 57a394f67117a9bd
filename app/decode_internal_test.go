package app

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// withEmbedded has an embedded struct, whose fields the decoder fills as
// its own.
type withEmbedded struct {
	domain.Session
	Series *domain.SessionSeries `json:"series"`
}

// An unknown field is a 422 on that field wherever it is: at the top, in a
// nested object, in an array's objects, beside an embedded struct's fields.
// Known fields in another letter case are accepted, as the decoder does.
func TestUnknownFieldsAreNamed(t *testing.T) {
	for _, c := range []struct {
		name  string
		dst   func() any
		body  string
		field string // "" for accepted
	}{
		{"top level", func() any { return &programmeInput{} }, `{"code": "x", "colour": "red"}`, "colour"},
		{"nested object", func() any { return &enrollInput{} }, `{"trainee": {"sex": "female", "shoe_size": 38}}`, "shoe_size"},
		{"array of objects", func() any { return &[]repository.Mark{} }, `[{"trainee_id": 1, "status": "present"}, {"trainee_id": 2, "mood": "ok"}]`, "mood"},
		{"beside an embedded struct", func() any { return &withEmbedded{} }, `{"place": "Rabat", "series": {"count": 2, "every": "week"}}`, "every"},
		{"the first one written", func() any { return &programmeInput{} }, `{"zeta": 1, "alpha": 2}`, "zeta"},
		{"embedded fields known", func() any { return &withEmbedded{} }, `{"place": "Rabat", "hours": 2}`, ""},
		{"another letter case", func() any { return &programmeInput{} }, `{"Code": "x", "NAME_FR": "y"}`, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			web := fiber.New(fiber.Config{ErrorHandler: func(ctx *fiber.Ctx, err error) error {
				a := classify(err)
				field := ""
				for f := range a.fields {
					field = f
				}
				return ctx.Status(a.status).SendString(field + " " + a.fields[field].Key)
			}})
			web.Post("/", func(ctx *fiber.Ctx) error {
				if err := decodeJSON(ctx, c.dst()); err != nil {
					return err
				}
				return ctx.SendString("ok")
			})
			resp, err := web.Test(httptest.NewRequest("POST", "/", strings.NewReader(c.body)), -1)
			if err != nil {
				t.Fatal(err)
			}
			var got strings.Builder
			buf := make([]byte, 512)
			n, _ := resp.Body.Read(buf)
			got.Write(buf[:n])
			switch {
			case c.field == "" && resp.StatusCode != 200:
				t.Fatalf("want accepted, got %d %s", resp.StatusCode, got.String())
			case c.field != "" && (resp.StatusCode != 422 || got.String() != c.field+" validation.unknown_field"):
				t.Fatalf("want 422 on %s, got %d %q", c.field, resp.StatusCode, got.String())
			}
		})
	}
}
