package app

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v2"

	"takaffoul/views"
)

// TestFirstRendersRunConcurrently: the first renders of a page, many at
// once (a silent database makes every page request of the moment answer
// with the error page, which nothing had shown yet), race neither with
// each other nor with the escaping html/template does on a template's
// first execution (escapeViews), nor with fiber's list of apps made on the
// first render (listAppsForRender). Each round is a fresh fiber app over
// fresh views, made as newServer makes them. Run with -race.
func TestFirstRendersRunConcurrently(t *testing.T) {
	t.Parallel()
	messages, err := loadMessages(views.FS)
	if err != nil {
		t.Fatal(err)
	}
	tr := newTranslator(messages, "ar", slog.New(slog.NewTextHandler(io.Discard, nil)))
	const renders = 8
	for range 4 {
		v, err := newViews(views.FS)
		if err != nil {
			t.Fatal(err)
		}
		f := fiber.New(fiber.Config{Views: v, DisableStartupMessage: true})
		listAppsForRender(f)
		f.Get("/", func(c *fiber.Ctx) error {
			p := &Page{Lang: "ar", Dir: "rtl", Form: NewForm(nil), tr: tr,
				Error: &ErrorInfo{Status: 503, TitleKey: "error.503.title", BodyKey: "error.503.body", RequestID: "abc"}}
			return (&Server{}).writePage(c, fiber.StatusServiceUnavailable, "pages/error", p)
		})
		var start, done sync.WaitGroup
		start.Add(1)
		statuses := make(chan int, renders)
		for range renders {
			done.Add(1)
			go func() {
				defer done.Done()
				start.Wait()
				resp, err := f.Test(httptest.NewRequest("GET", "/", nil), -1)
				if err != nil {
					t.Error(err)
					return
				}
				statuses <- resp.StatusCode
			}()
		}
		start.Done()
		done.Wait()
		close(statuses)
		for status := range statuses {
			if status != fiber.StatusServiceUnavailable {
				t.Fatalf("the error page: status %d", status)
			}
		}
	}
}
