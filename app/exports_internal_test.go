package app

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
	"takaffoul/repository/dbtest"
)

// syncBuffer is a log destination that the export goroutine and the test
// may use at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// sendFile over a real connection: a file is streamed in chunks; an error
// before the first byte is an ordinary answer; an error after it is logged
// and breaks the download, so that a short file never looks complete.
func TestSendFileStreamsAndBreaksOnLateErrors(t *testing.T) {
	store := dbtest.Store(t)
	logged := &syncBuffer{}
	s, web, err := newServer(Config{SessionPurgeInterval: -1}, store, slog.New(slog.NewTextHandler(logged, nil)))
	if err != nil {
		t.Fatal(err)
	}
	u := &domain.User{Email: "coordinator@stream.ma", Name: "Coordinator", Role: domain.RoleCoordinator}
	if err := store.CreateUser(t.Context(), u, "a-long-password", nil); err != nil {
		t.Fatal(err)
	}
	token, _, err := store.CreateAPIToken(t.Context(), u.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.Repeat("x", 1000) + "\r\n"
	exports := map[string]exportFunc{
		"/exports/test-ok": func(_ context.Context, w io.Writer) (int64, error) {
			for i := 0; i < 1000; i++ { // 1 MB
				if _, err := io.WriteString(w, line); err != nil {
					return int64(i), err
				}
			}
			return 1000, nil
		},
		"/exports/test-early": func(context.Context, io.Writer) (int64, error) {
			return 0, domain.Invalid("to", "export.to_before_from")
		},
		"/exports/test-hang": func(ctx context.Context, _ io.Writer) (int64, error) {
			<-ctx.Done() // a database that never answers
			return 0, ctx.Err()
		},
		"/exports/test-late": func(_ context.Context, w io.Writer) (int64, error) {
			for i := 0; i < 100; i++ {
				if _, err := io.WriteString(w, line); err != nil {
					return int64(i), err
				}
			}
			return 100, errors.New("pq: terminating connection due to administrator command")
		},
	}
	for path, export := range exports {
		web.Get(path, func(c *fiber.Ctx) error {
			audit := repository.AuditEntry{ActorID: &currentUser(c).ID, Action: "test.export", Entity: "export"}
			return s.sendFile(c, domain.CSV, "test_é.csv", audit, map[string]any{}, export)
		})
	}
	base := serveOnLoopback(t, web)
	get := func(path string) (*http.Response, []byte, error) {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Accept-Encoding", "br, gzip") // a browser's: the export must still stream as it is
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp, body, err
	}

	resp, body, err := get("/exports/test-ok")
	if err != nil || resp.StatusCode != 200 || len(body) != 1000*len(line) {
		t.Fatalf("complete file: %v, %d bytes", err, len(body))
	}
	if enc := resp.Header.Get("Content-Encoding"); enc != "" {
		t.Errorf("the export is compressed (%s): it must stream as written", enc)
	}
	if resp.ContentLength != -1 || len(resp.TransferEncoding) == 0 || resp.TransferEncoding[0] != "chunked" {
		t.Errorf("the file must be streamed (chunked), got length %d, %v", resp.ContentLength, resp.TransferEncoding)
	}
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="test__.csv"; filename*=UTF-8''test_%C3%A9.csv` {
		t.Errorf("Content-Disposition %q", cd)
	}

	req, _ := http.NewRequest("HEAD", base+"/exports/test-ok", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	head, err := http.DefaultClient.Do(req)
	if err != nil || head.StatusCode != 200 || head.Header.Get("Content-Disposition") == "" {
		t.Fatalf("HEAD: %v %v", err, head)
	}
	head.Body.Close()

	resp, body, err = get("/exports/test-early")
	if err != nil || resp.StatusCode != 422 || !strings.Contains(string(body), `"to"`) || resp.Header.Get("Content-Disposition") != "" {
		t.Fatalf("an error before the first byte must be an ordinary 422: %v %v %s", err, resp, body)
	}

	defer func(d time.Duration) { firstByteTimeout = d }(firstByteTimeout)
	firstByteTimeout = 200 * time.Millisecond
	resp, body, err = get("/exports/test-hang")
	if err != nil || resp.StatusCode != 503 || resp.Header.Get("Content-Disposition") != "" {
		t.Fatalf("no first byte in time must be a 503: %v %v %s", err, resp, body)
	}

	_, body, err = get("/exports/test-late")
	if err == nil {
		t.Fatalf("an error after the first bytes must break the download, got a clean %d-byte file", len(body))
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logged.String(), "export failed after its first bytes") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(logged.String(), "administrator command") {
		t.Fatalf("the late error must be logged: %s", logged.String())
	}
	var audited int
	for time.Now().Before(deadline) {
		if err := store.DB().Get(&audited, `SELECT count(*) FROM audit_log WHERE action = 'test.export'`); err != nil {
			t.Fatal(err)
		}
		if audited == 2 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if audited != 2 {
		t.Fatalf("want the complete and the broken export audited (not the refused one), got %d", audited)
	}
	var complete bool
	if err := store.DB().Get(&complete, `SELECT (after->>'complete')::bool FROM audit_log WHERE action = 'test.export' ORDER BY id DESC LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if complete {
		t.Error("the broken export is audited as complete")
	}
}

// serveOnLoopback serves web on a free loopback port until the test ends.
func serveOnLoopback(t *testing.T, web *fiber.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = web.Listener(ln) }()
	t.Cleanup(func() { _ = web.Shutdown() })
	return "http://" + ln.Addr().String()
}
