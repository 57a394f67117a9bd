package app_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"

	"takaffoul/domain"
)

// TestResponsesAreCompressedWhenAsked: a static file, a page and the API's
// JSON answer brotli or gzip as the browser asks, and as they are without
// Accept-Encoding; what they say is the same. (An export keeps streaming,
// uncompressed: TestSendFileStreamsAndBreaksOnLateErrors.)
func TestResponsesAreCompressedWhenAsked(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	addUser(t, store, "trainer@compress.ma", domain.RoleTrainer)
	cl := newClient(t, newApp(t, store))
	cl.login("trainer@compress.ma", testPassword)
	font, err := os.ReadFile("../views/static/fonts/NotoSansArabic-Regular.ttf")
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"/static/fonts/NotoSansArabic-Regular.ttf", "/static/offline.js", "/", "/api/v1/offline/pack"} {
		cl.headers["Accept-Encoding"] = ""
		plain := cl.get(target)
		expectStatus(t, target, plain, 200)
		if enc := plain.Header.Get("Content-Encoding"); enc != "" {
			t.Errorf("%s without Accept-Encoding: %q", target, enc)
		}
		for _, enc := range []string{"br", "gzip"} {
			cl.headers["Accept-Encoding"] = enc
			resp := cl.get(target)
			if got := resp.Header.Get("Content-Encoding"); got != enc {
				t.Errorf("%s asked %s: Content-Encoding %q", target, enc, got)
				continue
			}
			if !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
				t.Errorf("%s: Vary %q", target, resp.Header.Get("Vary"))
			}
			body := decoded(t, enc, resp.Body)
			if target == "/static/fonts/NotoSansArabic-Regular.ttf" && !bytes.Equal(body, font) {
				t.Errorf("the font decoded is not the font (%d bytes, want %d)", len(body), len(font))
			}
			if target == "/" && !strings.Contains(string(body), "</html>") {
				t.Errorf("the page decoded: %.200s", body)
			}
			t.Logf("%s: %d bytes, %d with %s", target, len(plain.Body), len(resp.Body), enc)
			if len(resp.Body) >= len(plain.Body) {
				t.Errorf("%s with %s: %d bytes, not fewer than %d", target, enc, len(resp.Body), len(plain.Body))
			}
		}
	}
}

func decoded(t *testing.T, enc, body string) []byte {
	t.Helper()
	var r io.Reader = brotli.NewReader(strings.NewReader(body))
	if enc == "gzip" {
		zr, err := gzip.NewReader(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: %v", enc, err)
	}
	return out
}
