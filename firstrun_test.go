package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"takaffoul/repository/dbtest"
)

// syncBuffer is a bytes.Buffer the server's stderr and the test share.
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

// TestFirstRunPrintsItsAddressAndTheSetupLink: `serve` on a database with
// no account logs the address it serves and a one-time setup link; the
// link opens the form that creates the first administrator, who is then
// signed in.
func TestFirstRunPrintsItsAddressAndTheSetupLink(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var logs syncBuffer
	cmd := exec.Command(bin, "serve", "-addr", addr)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbtest.NewDatabase(t), "LOG_LEVEL=info")
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	var setupURL string
	for deadline := time.Now().Add(20 * time.Second); setupURL == "" && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		sc := bufio.NewScanner(strings.NewReader(logs.String()))
		for sc.Scan() {
			var line struct {
				Msg      string `json:"msg"`
				SetupURL string `json:"setup_url"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.SetupURL != "" {
				setupURL = line.SetupURL
			}
		}
	}
	if setupURL == "" {
		t.Fatalf("no setup link in the log:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), `"msg":"serving at http://`+addr+`"`) {
		t.Errorf("the log does not say where it serves:\n%s", logs.String())
	}
	if !strings.HasPrefix(setupURL, "http://"+addr+"/setup?token=") {
		t.Fatalf("setup link %q", setupURL)
	}

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	page := func(resp *http.Response, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.Status + "\n" + string(b)
	}
	if got := page(browser.Get("http://" + addr + "/")); !strings.HasPrefix(got, "303") {
		t.Fatalf("the address with no account: %.200s", got)
	}
	form := page(browser.Get(setupURL))
	csrf := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(form)
	if !strings.HasPrefix(form, "200") || csrf == nil {
		t.Fatalf("the setup link: %.300s", form)
	}
	token := strings.TrimPrefix(setupURL, "http://"+addr+"/setup?token=")
	done := page(browser.PostForm("http://"+addr+"/setup", url.Values{"_csrf": {csrf[1]}, "token": {token},
		"name": {"Admin"}, "email": {"admin@example.ma"}, "password": {"a-long-enough-password"},
		"password_confirm": {"a-long-enough-password"}}))
	if !strings.HasPrefix(done, "303") {
		t.Fatalf("the setup: %.300s", done)
	}
	if home := page(browser.Get("http://" + addr + "/")); !strings.HasPrefix(home, "200") || !strings.Contains(home, `href="/users"`) {
		t.Fatalf("the administrator is not signed in: %.300s", home)
	}
	if again := page(browser.Get(setupURL)); !strings.HasPrefix(again, "303") {
		t.Fatalf("the link after the setup: %.200s", again)
	}
}

func TestServerURL(t *testing.T) {
	for addr, want := range map[string]string{"[::]:8080": "http://localhost:8080", "0.0.0.0:8080": "http://localhost:8080",
		"127.0.0.1:18099": "http://127.0.0.1:18099", "[::1]:9000": "http://[::1]:9000"} {
		tcp, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := serverURL(tcp); got != want {
			t.Errorf("%s: want %s, got %s", addr, want, got)
		}
	}
}
