package repository_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"takaffoul/domain"
	"takaffoul/repository"
	"takaffoul/repository/dbtest"
)

// Benchmarks of the exports and the import (issue 5; the targets are issue
// 7's). Sizes come from BENCH_ROWS (default "10000,100000"):
//
//	BENCH_ROWS=10000,100000,1000000 TEST_DATABASE_URL=... \
//	  go test ./repository/ -run '^$' -bench 'Export|Import' -benchtime 1x
//
// Each size gets its own database, filled with COPY: courses of 10 sessions
// and 100 enrolled trainees, 90% of the marks taken.

func benchSizes(b *testing.B) []int {
	spec := os.Getenv("BENCH_ROWS")
	if spec == "" {
		spec = "10000,100000"
	}
	var sizes []int
	for _, s := range strings.Split(spec, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1000 {
			b.Fatalf("BENCH_ROWS: %q is not a row count ≥ 1000", s)
		}
		sizes = append(sizes, n)
	}
	return sizes
}

func BenchmarkExportAttendance(b *testing.B) {
	for _, rows := range benchSizes(b) {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			url := dbtest.NewDatabase(b)
			store, err := repository.Open(context.Background(), url, repository.PoolConfig{MaxOpen: 4})
			if err != nil {
				b.Fatal(err)
			}
			defer store.Close()
			seedAttendance(b, store.DB(), rows)
			if os.Getenv("BENCH_EXPLAIN") != "" {
				var plan []string
				tx := store.DB().MustBegin()
				for _, set := range repository.ExportPlannerSettings() {
					tx.MustExec(set)
				}
				if err := tx.Select(&plan, "EXPLAIN (ANALYZE, BUFFERS) "+repository.AttendanceQueryForAll()); err != nil {
					b.Fatal(err)
				}
				_ = tx.Rollback()
				b.Log("\n" + strings.Join(plan, "\n"))
			}
			modes := []struct {
				name   string
				format domain.Format
			}{
				{"csv-query", domain.CSV},
				{"xlsx-query", domain.XLSX},
			}
			for _, m := range modes {
				b.Run(m.name, func(b *testing.B) { benchExport(b, store, m.format, rows) })
			}
			b.Run("psql-copy", func(b *testing.B) { benchPsqlCopy(b, url, rows) })
		})
	}
}

// benchExport runs the export into a byte counter while sampling the heap:
// the figure that must stay flat whatever the row count is peak-heap-MB.
func benchExport(b *testing.B, store *repository.Store, format domain.Format, want int) {
	b.ReportAllocs()
	opts := domain.ExportOptions{Format: format, Lang: "ar", T: func(k string) string { return k }}
	var out countingWriter
	runtime.GC()
	peak := sampleHeap()
	cpu := processCPU()
	start := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		records := store.AttendanceRecords(context.Background(), repository.AttendanceFilter{}, repository.AllCourses())
		n, err := domain.WriteAttendance(&out, opts, records)
		if err != nil {
			b.Fatal(err)
		}
		if n != int64(want) {
			b.Fatalf("exported %d rows, want %d", n, want)
		}
	}
	b.StopTimer()
	elapsed := time.Since(start)
	b.ReportMetric(float64(want*b.N)/elapsed.Seconds(), "rows/s")
	b.ReportMetric((processCPU()-cpu).Seconds()*1e6/float64(want*b.N), "cpu-µs/row")
	b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(out.n.Load())/float64(b.N)/(1<<20), "file-MB")
}

// processCPU is the CPU time this process has used (user and system): per
// row, the figure that a machine busy with other work disturbs least.
func processCPU() time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// sampleHeap samples HeapInuse every 5 ms until the returned function is
// called, which returns the highest value seen.
func sampleHeap() func() uint64 {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak.Load()
	}
}

type countingWriter struct{ n atomic.Int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n.Add(int64(len(p)))
	return len(p), nil
}

// benchPsqlCopy is the physical limit: PostgreSQL writing the same query as
// CSV with psql's \copy, no application in between.
func benchPsqlCopy(b *testing.B, url string, rows int) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		b.Fatalf("psql is needed for the comparison: %v", err)
	}
	q := strings.Join(strings.Fields(repository.AttendanceQueryForAll()), " ")
	start := time.Now()
	for i := 0; i < b.N; i++ {
		args := []string{url, "-X", "-q"}
		for _, set := range repository.ExportPlannerSettings() {
			args = append(args, "-c", strings.Replace(set, "SET LOCAL", "SET", 1))
		}
		args = append(args, "-c", `\copy (`+q+`) to '/dev/null' with csv header`)
		cmd := exec.Command(psql, args...)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("psql: %v: %s", err, out)
		}
	}
	b.ReportMetric(float64(rows*b.N)/time.Since(start).Seconds(), "rows/s")
}

// seedAttendance fills a fresh database with `rows` attendance rows (trainee
// × session) using COPY: courses of 10 sessions and 100 trainees each.
func seedAttendance(b *testing.B, db *sqlx.DB, rows int) {
	b.Helper()
	start := time.Now()
	const sessionsPerCourse, traineesPerCourse = 10, 100
	courses := rows / (sessionsPerCourse * traineesPerCourse)
	exec := func(q string, args ...any) {
		if _, err := db.Exec(q, args...); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO provinces (id, region_id, code, name_ar, name_fr) VALUES (1, 4, 'rabat', 'عمالة الرباط', 'Préfecture de Rabat')`)
	exec(`INSERT INTO programmes (id, code, name_ar, name_fr, name_en, start_year, end_year)
	      VALUES (1, 'child-protection', 'حماية الطفولة', 'Protection de l''enfance', 'Child protection', 2019, 2026)`)
	exec(`INSERT INTO users (id, email, name, role, password_hash) VALUES (1, 'trainer@example.ma', 'Karim Trainer', 'trainer', 'x')`)
	exec(`INSERT INTO organisations (id, kind, name_fr) VALUES (1, 'institution', 'Centre multifonctionnel')`)

	copyRows(b, db, "courses", []string{"id", "programme_id", "code", "title_ar", "title_fr", "year", "province_id",
		"start_date", "end_date", "capacity"}, courses, func(i int) []any {
		return []any{i + 1, 1, "C-" + strconv.Itoa(i+1), "دورة تكوينية", "Formation, session \"" + strconv.Itoa(i) + "\"", 2019, 1,
			"2019-03-01", "2019-12-31", 200}
	})
	base := time.Date(2019, 3, 4, 9, 0, 0, 0, time.UTC)
	copyRows(b, db, "sessions", []string{"id", "course_id", "starts_at", "ends_at", "place", "hours"},
		courses*sessionsPerCourse, func(i int) []any {
			at := base.Add(time.Duration(i%sessionsPerCourse) * 7 * 24 * time.Hour)
			return []any{i + 1, i/sessionsPerCourse + 1, at, at.Add(3 * time.Hour), "Rabat", 3}
		})
	trainees := courses * traineesPerCourse
	copyRows(b, db, "trainees", []string{"id", "category", "full_name_ar", "full_name_latin", "name_key", "sex", "birth_year",
		"organisation_id", "organisation_kind"}, trainees, func(i int) []any {
		ar, latin := "فاطمة الزهراء بنعلي "+strconv.Itoa(i), "Hélène Aït-Lahcen "+strconv.Itoa(i)
		key := domain.SearchKey(ar) + " | " + domain.SearchKey(latin)
		sex := []string{"female", "male"}[i%2]
		if i%4 == 3 {
			return []any{i + 1, "child_parliamentarian", ar, nil, domain.SearchKey(ar), sex, 2008, nil, nil}
		}
		return []any{i + 1, "institutional_actor", ar, latin, key, sex, nil, 1, "institution"}
	})
	exec(`INSERT INTO consents (trainee_id, scope, method, wording_version, given_on)
	  SELECT id, 'training', 'before_records', 'bench', current_date FROM trainees WHERE category = 'child_parliamentarian'`)
	copyRows(b, db, "enrollments", []string{"id", "trainee_id", "course_id"}, trainees, func(i int) []any {
		return []any{i + 1, i + 1, i/traineesPerCourse + 1}
	})
	statuses := []string{"present", "present", "present", "present", "present", "late", "excused", "absent", "present"}
	copyRows(b, db, "attendance", []string{"enrollment_id", "session_id", "course_id", "status", "marked_by", "marked_at"},
		rows, func(i int) []any {
			enrollment, s := i/sessionsPerCourse, i%sessionsPerCourse
			course := enrollment / traineesPerCourse
			if i%10 == 9 {
				return nil // 10% unmarked
			}
			return []any{enrollment + 1, course*sessionsPerCourse + s + 1, course + 1, statuses[i%9], 1, base}
		})
	exec(`ANALYZE`)
	b.Logf("seeded %d rows in %s", rows, time.Since(start).Round(time.Millisecond))
}

// copyRows COPYs n rows made by row (nil rows are skipped) into table.
func copyRows(b *testing.B, db *sqlx.DB, table string, columns []string, n int, row func(int) []any) {
	b.Helper()
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	stmt, err := tx.Prepare(pq.CopyIn(table, columns...))
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if values := row(i); values != nil {
			if _, err := stmt.Exec(values...); err != nil {
				b.Fatalf("copy %s: %v", table, err)
			}
		}
	}
	if _, err := stmt.Exec(); err != nil {
		b.Fatalf("copy %s: %v", table, err)
	}
	if err := stmt.Close(); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkImport100k imports a 100,000-row participant list (parse,
// validate, COPY, match, insert, enrol: one transaction) and compares it
// with psql's \copy of the same people straight into trainees.
func BenchmarkImport100k(b *testing.B) {
	const rows = 100_000
	dir := b.TempDir()
	listPath := filepath.Join(dir, "list.csv")
	rawPath := filepath.Join(dir, "raw.csv")
	var list, raw strings.Builder
	list.WriteString("Nom (arabe),Nom (latin),Catégorie,Sexe,Année de naissance,Organisme,CIN,Consentement\r\n")
	for i := 0; i < rows; i++ {
		ar, latin := "فاطمة الزهراء بنعلي "+strconv.Itoa(i), "Hélène Aït-Lahcen "+strconv.Itoa(i)
		if i%4 == 3 {
			fmt.Fprintf(&list, "%s,,Enfant parlementaire,Femme,2010,,,oui\r\n", ar)
			fmt.Fprintf(&raw, "child_parliamentarian,%s,,%s,female,2010,,,\n", ar, domain.SearchKey(ar))
			continue
		}
		fmt.Fprintf(&list, "%s,%s,Acteur institutionnel,Homme,,1,AB%d,\r\n", ar, latin, i)
		fmt.Fprintf(&raw, "institutional_actor,%s,%s,%s,male,,1,institution,AB%d\n", ar, latin,
			domain.SearchKey(ar)+" | "+domain.SearchKey(latin), i)
	}
	if err := os.WriteFile(listPath, []byte(list.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(rawPath, []byte(raw.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	fresh := func(b *testing.B) (string, *repository.Store) {
		url := dbtest.NewDatabase(b)
		store, err := repository.Open(context.Background(), url, repository.PoolConfig{MaxOpen: 2})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { store.Close() })
		if _, err := store.DB().Exec(`INSERT INTO organisations (id, kind, name_fr) VALUES (1, 'institution', 'Centre')`); err != nil {
			b.Fatal(err)
		}
		return url, store
	}
	b.Run("import", func(b *testing.B) {
		var total time.Duration
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			_, store := fresh(b)
			importer := &domain.User{Email: "importer@example.ma", Name: "Importer", Role: domain.RoleCoordinator}
			if err := store.CreateUser(context.Background(), importer, "a-long-enough-password", nil); err != nil {
				b.Fatal(err)
			}
			f, err := os.Open(listPath)
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			start := time.Now()
			report, err := store.ImportTrainees(context.Background(), domain.ParseImport(f, "list.csv"), repository.ImportOptions{}, &importer.ID)
			total += time.Since(start)
			f.Close()
			if err != nil {
				b.Fatal(err)
			}
			if report.Created != rows {
				b.Fatalf("created %d", report.Created)
			}
		}
		b.ReportMetric(float64(rows*b.N)/total.Seconds(), "rows/s")
	})
	b.Run("psql-copy-from", func(b *testing.B) {
		psql, err := exec.LookPath("psql")
		if err != nil {
			b.Fatalf("psql is needed for the comparison: %v", err)
		}
		var total time.Duration
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			url, _ := fresh(b)
			b.StartTimer()
			start := time.Now()
			cmd := exec.Command(psql, url, "-X", "-q", "-c", `\copy trainees (category, full_name_ar, full_name_latin, name_key, sex, birth_year, organisation_id, organisation_kind, national_id) from '`+rawPath+`' with csv`)
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("psql: %v: %s", err, out)
			}
			total += time.Since(start)
		}
		b.ReportMetric(float64(rows*b.N)/total.Seconds(), "rows/s")
	})
}
