package app

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// FuzzDecodeJSON feeds any body to the JSON decoding every API handler
// uses: the answer is the decoded value, a 400 (not JSON) or a 422 (a field
// of the wrong type, an unknown field, a bad date) — never a panic or a 500.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"trainee_id": 1}`, `{"trainee": {"category": "child_parliamentarian", "birth_year": 2008}}`, `{`, `[]`, `null`,
		`{"trainee_id": "1"}`, `{"trainee": {"birth_year": 1e99}}`, `{"colour": 1}`, `{"trainee_id": 1} {"x": 2}`,
		`{"trainee": {"full_name_ar": "\u0000"}}`, "\xff\xfe", `{"trainee": {"sex": ["female"]}}`, strings.Repeat("[", 10000),
		"{\"trainee\": {\"full_name_ar\": \"\xff\"}}", "{\"\xc3\": 1}", "[{\"status\": \"a\xe2\x80\"}]", "{\"a\": [1, {\"b\": \"\xff\"}]",
	} {
		f.Add(seed)
	}
	web := fiber.New(fiber.Config{ErrorHandler: func(c *fiber.Ctx, err error) error { return c.SendStatus(classify(err).status) }})
	web.Post("/", func(c *fiber.Ctx) error {
		var req enrollInput
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
		var marks []struct {
			TraineeID int64  `json:"trainee_id"`
			Status    string `json:"status"`
		}
		_ = decodeJSON(c, &marks)
		return c.SendStatus(fiber.StatusOK)
	})
	f.Fuzz(func(t *testing.T, body string) {
		resp, err := web.Test(httptest.NewRequest("POST", "/", strings.NewReader(body)), -1)
		if err != nil {
			t.Fatal(err)
		}
		switch resp.StatusCode {
		case fiber.StatusOK, fiber.StatusBadRequest, fiber.StatusUnprocessableEntity:
		default:
			t.Fatalf("body %q: status %d", body, resp.StatusCode)
		}
	})
}
