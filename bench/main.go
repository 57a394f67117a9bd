// Command bench measures Takaffoul against PostgreSQL itself, side by side
// in one run on the same synthetic national dataset: the totals API, the
// attendance exports, the participant import, enrolment under load,
// attendance saving, page rendering, and the hostile imports of issue 12.
// See docs/BENCHMARKS.md.
//
//	go run ./bench                       # 1,000,000 trainees (about 20 minutes here)
//	go run ./bench -tiny                 # a few thousand rows: what CI runs, so that it never rots
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

type options struct {
	server                      string // PostgreSQL server URL (any database)
	database                    string // the bench's own database on that server
	trainees, courses, sessions int
	reuse                       bool
	out                         string
	importRows                  int
	loadConnections             int
	loadDuration                time.Duration
	samples                     int
	only                        string // comma-separated measure names; empty: all
}

func main() {
	var o options
	tiny := flag.Bool("tiny", false, "a tiny dataset, for CI")
	flag.StringVar(&o.server, "server", envOr("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"), "PostgreSQL server")
	flag.IntVar(&o.trainees, "trainees", 1_000_000, "synthetic trainees")
	flag.IntVar(&o.courses, "courses", 20_000, "synthetic courses")
	flag.IntVar(&o.sessions, "sessions", 10, "sessions per course")
	flag.IntVar(&o.importRows, "import-rows", 100_000, "rows of the participant import")
	flag.BoolVar(&o.reuse, "reuse", false, "reuse the dataset of an earlier run")
	flag.StringVar(&o.database, "database", "", "the bench's database (default takaffoul_bench, takaffoul_bench_tiny with -tiny)")
	flag.StringVar(&o.out, "out", "", "also write the results table (Markdown) to this file")
	flag.IntVar(&o.samples, "samples", 50, "requests per latency measurement")
	flag.StringVar(&o.only, "only", "", "run only these measures (comma-separated: totals, csv, xlsx, import, enrolment, attendance, pages, importbomb)")
	flag.IntVar(&o.loadConnections, "connections", 8, "connections of the enrolment load")
	flag.DurationVar(&o.loadDuration, "load", 10*time.Second, "duration of the enrolment load")
	flag.Parse()
	if o.database == "" {
		o.database = map[bool]string{true: "takaffoul_bench_tiny", false: "takaffoul_bench"}[*tiny]
	}
	if *tiny {
		o.trainees, o.courses, o.sessions, o.importRows, o.samples = 3000, 60, 5, 1000, 10
		o.loadDuration = min(o.loadDuration, time.Second)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// bench is one run: the dataset, the server process and the results.
type bench struct {
	o       options
	dbURL   string
	db      *sqlx.DB
	bin     string
	server  *exec.Cmd
	base    string
	token   string
	results []result
}

// result is one line of the table.
type result struct {
	what, ours, postgres, ratio, target string
}

func run(o options) error {
	work, err := os.MkdirTemp("", "takaffoul-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	b := &bench{o: o, bin: filepath.Join(work, "takaffoul")}
	step("building the server")
	if out, err := exec.Command("go", "build", "-o", b.bin, ".").CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v: %s", err, out)
	}
	if err := b.prepareDatabase(); err != nil {
		return err
	}
	defer b.db.Close()
	if err := b.startServer(); err != nil {
		return err
	}
	defer b.stopServer()
	for _, m := range []struct {
		name string
		fn   func() error
	}{
		{"totals", b.measureTotals},
		{"csv", b.measureCSVExport},
		{"xlsx", b.measureXLSXExport},
		{"import", b.measureImport},
		{"enrolment", b.measureEnrolment},
		{"attendance", b.measureAttendance},
		{"pages", b.measurePages},
		{"importbomb", b.measureImportBomb},
	} {
		if o.only != "" && !slices.Contains(strings.Split(o.only, ","), m.name) {
			continue
		}
		step(m.name)
		if err := m.fn(); err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
		if err := b.settle(); err != nil {
			return err
		}
	}
	return b.report()
}

// settle waits until the server has folded the totals journal (the
// enrolments of a load run, for instance), so that one measure's deferred
// work does not land in the next one's figures; it says how long that took.
func (b *bench) settle() error {
	start := time.Now()
	for {
		var pending int
		if err := b.db.Get(&pending, `SELECT count(*) FROM totals_pending`); err != nil {
			return err
		}
		if pending == 0 {
			break
		}
		if time.Since(start) > 10*time.Minute {
			return fmt.Errorf("the totals journal still holds %d rows after 10 minutes", pending)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if d := time.Since(start); d > time.Second {
		fmt.Fprintf(os.Stderr, "   (the server folded the totals journal in %.1f s)\n", d.Seconds())
	}
	return nil
}

func step(s string) { fmt.Fprintf(os.Stderr, "== %s (%s)\n", s, time.Now().Format("15:04:05")) }

// prepareDatabase creates takaffoul_bench and loads the synthetic dataset
// with `takaffoul seed scale`, unless -reuse keeps an earlier one.
func (b *bench) prepareDatabase() error {
	u, err := url.Parse(b.o.server)
	if err != nil {
		return err
	}
	u.Path = "/" + b.o.database
	b.dbURL = u.String()
	admin, err := sqlx.Open("postgres", b.o.server)
	if err != nil {
		return err
	}
	defer admin.Close()
	if !b.o.reuse {
		step("a fresh database")
		if _, err := admin.Exec(`DROP DATABASE IF EXISTS ` + pq.QuoteIdentifier(b.o.database) + ` WITH (FORCE)`); err != nil {
			return err
		}
		if err := b.cli(nil, "migrate", "up"); err != nil {
			return err
		}
		step(fmt.Sprintf("seed scale: %d trainees, %d courses × %d sessions", b.o.trainees, b.o.courses, b.o.sessions))
		if err := b.cli(os.Stderr, "seed", "scale", "-trainees", fmt.Sprint(b.o.trainees), "-courses", fmt.Sprint(b.o.courses),
			"-sessions", fmt.Sprint(b.o.sessions)); err != nil {
			return err
		}
		if _, err := admin.Exec(`SELECT 1`); err != nil {
			return err
		}
	}
	if b.o.reuse {
		step("migrating the reused dataset")
		if err := b.cli(nil, "migrate", "up"); err != nil {
			return err
		}
	}
	if b.db, err = sqlx.Open("postgres", b.dbURL); err != nil {
		return err
	}
	if _, err := b.db.Exec(`VACUUM ANALYZE`); err != nil {
		return err
	}
	return b.createCoordinatorToken()
}

// cli runs a takaffoul command on the bench database.
func (b *bench) cli(stdout io.Writer, args ...string) error {
	cmd := exec.Command(b.bin, args...)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+b.dbURL, "LOG_LEVEL=warn")
	var errBuf bytes.Buffer
	cmd.Stdout, cmd.Stderr = stdout, &errBuf
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("takaffoul %s: %v: %s", strings.Join(args, " "), err, errBuf.String())
	}
	return nil
}

var tokenLine = regexp.MustCompile(`(?m)^(tkf_\S+)$`)

// createCoordinatorToken adds a coordinator (once) and a fresh API token.
func (b *bench) createCoordinatorToken() error {
	var exists bool
	if err := b.db.Get(&exists, `SELECT EXISTS (SELECT 1 FROM users WHERE email = 'bench@example.ma')`); err != nil {
		return err
	}
	if !exists {
		cmd := exec.Command(b.bin, "user", "add", "-email", "bench@example.ma", "-name", "Bench Coordinator", "-role", "coordinator")
		cmd.Env = append(os.Environ(), "DATABASE_URL="+b.dbURL, "LOG_LEVEL=warn")
		cmd.Stdin = strings.NewReader("bench-password-long\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("user add: %v: %s", err, out)
		}
	}
	var out bytes.Buffer
	if err := b.cli(&out, "token", "create", "-email", "bench@example.ma"); err != nil {
		return err
	}
	m := tokenLine.FindStringSubmatch(out.String())
	if m == nil {
		return fmt.Errorf("no token in: %s", out.String())
	}
	b.token = m[1]
	return nil
}

// startServer runs `takaffoul serve` on a free loopback port.
func (b *bench) startServer() error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := l.Addr().String()
	l.Close()
	b.base = "http://" + addr
	b.server = exec.Command(b.bin, "serve", "-addr", addr)
	b.server.Env = append(os.Environ(), "DATABASE_URL="+b.dbURL, "LOG_LEVEL="+envOr("BENCH_SERVER_LOG_LEVEL", "error"), "DB_MAX_CONNS=20")
	b.server.Stderr = os.Stderr
	if err := b.server.Start(); err != nil {
		return err
	}
	for i := 0; i < 100; i++ {
		if r, err := http.Get(b.base + "/readyz"); err == nil && r.StatusCode == 200 {
			r.Body.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("the server did not become ready")
}

func (b *bench) stopServer() {
	if b.server != nil && b.server.Process != nil {
		_ = b.server.Process.Signal(os.Interrupt)
		_ = b.server.Wait()
	}
}

var client = &http.Client{Timeout: 30 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// call sends a request with the bench token and returns the status and
// how many bytes and lines the body had (reading it to the end).
func (b *bench) call(method, path string, body io.Reader, contentType string) (status int, bytesRead, lines int64, err error) {
	req, err := http.NewRequestWithContext(context.Background(), method, b.base+path, body)
	if err != nil {
		return 0, 0, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+b.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, 0, err
	}
	defer resp.Body.Close()
	r := bufio.NewReaderSize(resp.Body, 1<<16)
	buf := make([]byte, 1<<16)
	for {
		n, readErr := r.Read(buf)
		bytesRead += int64(n)
		lines += int64(bytes.Count(buf[:n], []byte{'\n'}))
		if readErr == io.EOF {
			break
		}
		if readErr != nil {
			return resp.StatusCode, bytesRead, lines, readErr
		}
	}
	return resp.StatusCode, bytesRead, lines, nil
}

// get fails unless the answer is 200.
func (b *bench) get(path string) error {
	status, _, _, err := b.call("GET", path, nil, "")
	if err == nil && status != 200 {
		err = fmt.Errorf("GET %s: %d", path, status)
	}
	return err
}

func (b *bench) add(what, ours, postgres, ratio, target string) {
	b.results = append(b.results, result{what, ours, postgres, ratio, target})
	fmt.Fprintf(os.Stderr, "   %s: %s | %s | %s\n", what, ours, postgres, ratio)
}

func (b *bench) report() error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "Dataset: %d trainees, %d courses × %d sessions", b.o.trainees, b.o.courses, b.o.sessions)
	var marks int64
	_ = b.db.Get(&marks, `SELECT count(*) FROM attendance`)
	fmt.Fprintf(&sb, ", %d attendance marks.\n\n", marks)
	sb.WriteString("| measure | Takaffoul | PostgreSQL alone | ratio | target |\n| --- | --- | --- | --- | --- |\n")
	for _, r := range b.results {
		fmt.Fprintf(&sb, "| %s | %s | %s | %s | %s |\n", r.what, r.ours, r.postgres, r.ratio, r.target)
	}
	fmt.Print(sb.String())
	if b.o.out != "" {
		return os.WriteFile(b.o.out, []byte(sb.String()), 0o644)
	}
	return nil
}

func jsonBody(v any) io.Reader {
	data, _ := json.Marshal(v)
	return bytes.NewReader(data)
}

// multipartFile builds a multipart body with one file field and extra fields.
func multipartFile(field, name string, content []byte, fields map[string]string) (io.Reader, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	part, _ := w.CreateFormFile(field, name)
	_, _ = part.Write(content)
	_ = w.Close()
	return &buf, w.FormDataContentType()
}
