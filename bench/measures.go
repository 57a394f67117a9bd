package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"takaffoul/domain"
	"takaffoul/repository"
)

// measureTotals: GET /api/v1/totals with no filter and with a province and
// a year, against the same statements run by psql.
func (b *bench) measureTotals() error {
	var scope struct {
		Province string `db:"province"`
		Year     int    `db:"year"`
	}
	const busiest = `SELECT p.code AS province, c.year FROM courses c JOIN provinces p ON p.id = c.province_id
	                 WHERE c.code NOT LIKE 'BENCH-%' GROUP BY p.code, c.year ORDER BY count(*) DESC, p.code LIMIT 1`
	if err := b.db.Get(&scope, busiest); err != nil {
		return err
	}
	var course int64 // the largest synthetic course: a course filter counts from the records
	const largest = `SELECT e.course_id FROM enrollments e JOIN courses c ON c.id = e.course_id
	                 WHERE c.code NOT LIKE 'BENCH-%' GROUP BY e.course_id ORDER BY count(*) DESC, e.course_id LIMIT 1`
	if err := b.db.Get(&course, largest); err != nil {
		return err
	}
	for _, f := range []struct {
		label string
		query string
	}{
		{"totals, no filter", ""},
		{fmt.Sprintf("totals, province %s + year %d", scope.Province, scope.Year), fmt.Sprintf("province=%s&year=%d", scope.Province, scope.Year)},
		{"totals, one course (the largest)", fmt.Sprintf("course=%d", course)},
	} {
		ours, err := timeN(b.o.samples, func() error { return b.get("/api/v1/totals?" + f.query) })
		if err != nil {
			return err
		}
		filter, err := domain.ParseTotalsFilter(parseQuery(f.query))
		if err != nil {
			return err
		}
		direct, err := b.psqlTotals(filter)
		if err != nil {
			return err
		}
		b.add(f.label+" (p50 / p99)", ms(ours.p50())+" / "+ms(ours.p99()), ms(direct.p50())+" / "+ms(direct.p99()),
			fmt.Sprintf("%.2f×", float64(ours.p50())/float64(max(direct.p50(), time.Microsecond))), "p50 ≤ 100 ms, ≤ 1.5× PostgreSQL")
	}
	return nil
}

// psqlTotals runs, in one psql session, the statements Store.Totals runs
// for the filter, samples times, and returns the total time of each round.
func (b *bench) psqlTotals(f domain.TotalsFilter) (latencies, error) {
	preamble, statements, err := totalsStatements(b.dbURL, f)
	if err != nil {
		return nil, err
	}
	var script strings.Builder
	script.WriteString("\\timing off\n")
	for _, s := range preamble {
		script.WriteString(s + ";\n")
	}
	script.WriteString("\\timing on\n")
	for i := 0; i <= b.o.samples; i++ {
		for _, s := range statements {
			script.WriteString(s + ";\n")
		}
	}
	times, err := psqlTimings(b.dbURL, script.String())
	if err != nil {
		return nil, err
	}
	// Sum the statements of each round; drop the first (warm-up) round.
	per := len(statements)
	var rounds latencies
	for i := per; i+per <= len(times); i += per {
		var sum time.Duration
		for _, t := range times[i : i+per] {
			sum += t
		}
		rounds = append(rounds, sum)
	}
	return rounds, nil
}

// measureCSVExport: the whole dataset as CSV, rows/s and the server's peak
// RSS, against psql's \copy of the same query.
func (b *bench) measureCSVExport() error {
	rss := sampleRSS(b.server.Process.Pid)
	start := time.Now()
	status, _, lines, err := b.call("GET", "/exports/attendance.csv", nil, "")
	elapsed := time.Since(start)
	peak := rss.finish()
	if err != nil || status != 200 {
		return fmt.Errorf("export: %d %v", status, err)
	}
	rows := lines - 1
	query, settings := repository.AttendanceExportQuery()
	args := []string{b.dbURL, "-X", "-q"}
	for _, s := range settings {
		args = append(args, "-c", strings.Replace(s, "SET LOCAL", "SET", 1))
	}
	args = append(args, "-c", `\copy (`+strings.Join(strings.Fields(query), " ")+`) to '/dev/null' with csv header`)
	psqlTime, out, err := timeCommand("psql", args...)
	if err != nil {
		return fmt.Errorf("psql: %v: %s", err, out)
	}
	ours, theirs := float64(rows)/elapsed.Seconds(), float64(rows)/psqlTime.Seconds()
	b.add(fmt.Sprintf("attendance CSV export, %d rows (rows/s; server peak RSS)", rows),
		fmt.Sprintf("%.0f rows/s; %.0f MB", ours, peak), fmt.Sprintf("%.0f rows/s", theirs),
		fmt.Sprintf("%.2f×", ours/theirs), "≥ 0.5× psql, RSS ≤ 100 MB")
	return nil
}

// measureXLSXExport: one province's attendance as XLSX (the whole country
// is beyond Excel's 1,048,576 rows a sheet).
func (b *bench) measureXLSXExport() error {
	var province string
	if err := b.db.Get(&province, `SELECT p.code FROM courses c JOIN provinces p ON p.id = c.province_id GROUP BY p.code ORDER BY count(*) DESC LIMIT 1`); err != nil {
		return err
	}
	var rows int64
	const count = `SELECT count(*) FROM enrollments e JOIN sessions s ON s.course_id = e.course_id
	               JOIN courses c ON c.id = e.course_id JOIN provinces p ON p.id = c.province_id WHERE p.code = $1`
	if err := b.db.Get(&rows, count, province); err != nil {
		return err
	}
	rss := sampleRSS(b.server.Process.Pid)
	start := time.Now()
	status, size, _, err := b.call("GET", "/exports/attendance.xlsx?province="+province, nil, "")
	elapsed := time.Since(start)
	peak := rss.finish()
	if err != nil || status != 200 {
		return fmt.Errorf("xlsx export: %d %v", status, err)
	}
	b.add(fmt.Sprintf("attendance XLSX export, one province, %d rows (%.1f MB file)", rows, float64(size)/1e6),
		fmt.Sprintf("%.0f rows/s; %.0f MB", float64(rows)/elapsed.Seconds(), peak), "—", "—", "measured")
	return nil
}

// measureImport: a participant file imported through the API, against
// psql's \copy of the same people into a copy of the trainees table.
func (b *bench) measureImport() error {
	var org int64
	if err := b.db.Get(&org, `SELECT min(id) FROM organisations WHERE kind = 'institution'`); err != nil {
		return err
	}
	prefix, err := b.unusedCINPrefix()
	if err != nil {
		return err
	}
	var file, raw bytes.Buffer
	file.WriteString("category,full_name_ar,full_name_latin,sex,birth_year,organisation,national_id\r\n")
	stamp := time.Now().Unix() % 100_000
	for i := 0; i < b.o.importRows; i++ {
		nameAr, nameLatin := fmt.Sprintf("مستفيد %d", i), fmt.Sprintf("Imported Person %d-%d", stamp, i)
		cin := fmt.Sprintf("%s%07d", prefix, i)
		fmt.Fprintf(&file, "institutional_actor,%s,%s,female,1985,%d,%s\r\n", nameAr, nameLatin, org, cin)
		t := domain.Trainee{FullNameAr: &nameAr, FullNameLatin: &nameLatin}
		fmt.Fprintf(&raw, "institutional_actor,%s,%s,%s,female,1985,%d,institution,%s\n", nameAr, nameLatin, t.NameKey(), org, cin)
	}
	// The limit is checked before any row is parsed: one row too many is
	// refused at once, whatever the file's size.
	if err := b.measureRowLimit(org); err != nil {
		return err
	}
	// As the page does: a preview (dry run), then the import, each a job
	// whose status URL is polled until it ends; the server's RSS over both.
	rss := sampleRSS(b.server.Process.Pid)
	status, job, preview, err := b.runImportJob("participants.csv", file.Bytes(), map[string]string{"dry_run": "true"})
	if err != nil || job == nil || job.Status != "done" {
		rss.finish()
		return fmt.Errorf("preview: %d %+v %v", status, job, err)
	}
	status, job, elapsed, err := b.runImportJob("participants.csv", file.Bytes(), nil)
	peak := rss.finish()
	if err != nil || job == nil || job.Status != "done" || job.Report == nil || job.Report.Created != b.o.importRows {
		return fmt.Errorf("import: %d %+v %v", status, job, err)
	}
	b.add(fmt.Sprintf("participant import preview (dry run), %d rows, as a job (s)", b.o.importRows),
		fmt.Sprintf("%.1f s", preview.Seconds()), "—", "—", "≤ 10 s")
	b.add(fmt.Sprintf("participant import, %d rows: server peak RSS over the preview and the import", b.o.importRows),
		fmt.Sprintf("%.0f MB", peak), "—", "—", "≤ 200 MB")
	dir, err := os.MkdirTemp("", "bench-import-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	rawPath := filepath.Join(dir, "raw.csv")
	if err := os.WriteFile(rawPath, raw.Bytes(), 0o644); err != nil {
		return err
	}
	if _, err := b.db.Exec(`DROP TABLE IF EXISTS bench_copy; CREATE TABLE bench_copy (LIKE trainees INCLUDING ALL)`); err != nil {
		return err
	}
	defer b.db.Exec(`DROP TABLE IF EXISTS bench_copy`)
	psqlTime, out, err := timeCommand("psql", b.dbURL, "-X", "-q", "-c",
		`\copy bench_copy (category, full_name_ar, full_name_latin, name_key, sex, birth_year, organisation_id, organisation_kind, national_id) from '`+rawPath+`' with csv`)
	if err != nil {
		return fmt.Errorf("psql: %v: %s", err, out)
	}
	ours, theirs := float64(b.o.importRows)/elapsed.Seconds(), float64(b.o.importRows)/psqlTime.Seconds()
	b.add(fmt.Sprintf("participant import, %d rows (rows/s)", b.o.importRows), fmt.Sprintf("%.0f rows/s", ours),
		fmt.Sprintf("%.0f rows/s", theirs), fmt.Sprintf("%.2f×", ours/theirs), "≥ 0.3× psql \\copy from")
	return nil
}

// unusedCINPrefix is two letters that begin no national ID on record: the
// imported people are new people, and a CIN already on record is a match
// that the import refuses by default (the seeded people's are ZZ…, an
// earlier run's on a reused dataset another pair; a prefix drawn from the
// clock clashed with them one run in 26).
func (b *bench) unusedCINPrefix() (string, error) {
	var used []string
	if err := b.db.Select(&used, `SELECT DISTINCT left(national_id, 2) FROM trainees WHERE national_id ~ '^[A-Z]{2}'`); err != nil {
		return "", err
	}
	for first := 'Y'; first >= 'A'; first-- {
		for second := 'A'; second <= 'Z'; second++ {
			if p := string([]rune{first, second}); !slices.Contains(used, p) {
				return p, nil
			}
		}
	}
	return "", errors.New("every two-letter CIN prefix is taken")
}

// measureRowLimit: a list of one row past the limit (100,001 rows, about
// 5 MB), refused with 413 before a job starts.
func (b *bench) measureRowLimit(org int64) error {
	var file bytes.Buffer
	file.WriteString("category,full_name_latin,sex,birth_year,organisation,national_id\r\n")
	for i := 0; i <= domain.MaxImportRows; i++ {
		fmt.Fprintf(&file, "institutional_actor,Too Many %d,female,1985,%d,ZZ%07d\r\n", i, org, i)
	}
	body, contentType := multipartFile("file", "too-many.csv", file.Bytes(), nil)
	start := time.Now()
	status, _, _, err := b.call("POST", "/api/v1/imports/trainees", body, contentType)
	elapsed := time.Since(start)
	if err != nil || status != 413 {
		return fmt.Errorf("100,001 rows: %d %v", status, err)
	}
	b.add(fmt.Sprintf("participant list of %d rows (%.1f MB) refused (413)", domain.MaxImportRows+1, float64(file.Len())/1e6),
		fmt.Sprintf("%.2f s", elapsed.Seconds()), "—", "—", "at once (before parsing)")
	return nil
}

// benchCourse creates a course through the API and returns its id.
func (b *bench) benchCourse(code string, capacity int) (int64, error) {
	var ref struct {
		ProgrammeID int64  `db:"programme_id"`
		Province    string `db:"province"`
	}
	if err := b.db.Get(&ref, `SELECT c.programme_id, p.code AS province FROM courses c JOIN provinces p ON p.id = c.province_id ORDER BY c.id LIMIT 1`); err != nil {
		return 0, err
	}
	code = fmt.Sprintf("%s-%d", code, time.Now().UnixNano()%1_000_000)
	status, _, _, err := b.call("POST", "/api/v1/courses", jsonBody(map[string]any{"programme_id": ref.ProgrammeID, "code": code,
		"title_ar": "دورة القياس", "title_fr": "Formation de mesure", "year": 2026, "province": ref.Province,
		"start_date": "2026-01-05", "end_date": "2026-12-20", "capacity": capacity}), "application/json")
	if err != nil || status != 201 {
		return 0, fmt.Errorf("create course: %d %v", status, err)
	}
	var id int64
	return id, b.db.Get(&id, `SELECT id FROM courses WHERE code = $1`, code)
}

// measureEnrolment: POST enrolments from several workers for a bounded
// time, spread over 20 courses as trainers in different rooms would be (the
// enrolments of one course take turns: its capacity is checked under a lock).
func (b *bench) measureEnrolment() error {
	var paths []string
	for i := 0; i < 20; i++ {
		course, err := b.benchCourse(fmt.Sprintf("BENCH-ENROL-%d", i), 10_000)
		if err != nil {
			return err
		}
		paths = append(paths, fmt.Sprintf("/api/v1/courses/%d/enrollments", course))
	}
	var ids []int64
	// People not enrolled by an earlier run (-reuse): each run enrols
	// people with the records of the dataset, not the same people again.
	const fresh = `SELECT t.id FROM trainees t WHERE t.category <> 'child_parliamentarian'
	                 AND NOT EXISTS (SELECT 1 FROM enrollments e JOIN courses c ON c.id = e.course_id
	                                  WHERE e.trainee_id = t.id AND c.code LIKE 'BENCH-ENROL-%')
	               ORDER BY t.id LIMIT $1`
	// Enough people for 10,000 enrolments a second: past the last id the
	// load sends refusals, which wrk counts as errors (a machine of
	// 2026-12-04 enrolled 3,963 a second and ran out of 40,000).
	if err := b.db.Select(&ids, fresh, 10_000*max(1, int(b.o.loadDuration.Seconds()))); err != nil {
		return err
	}
	// PostgreSQL's own rate just before and just after the load: the
	// machine is shared, and its spare power drifts within a minute.
	before, err := b.pgbenchTPS(b.o.loadConnections, b.o.loadDuration)
	if err != nil {
		return err
	}
	reads := b.readTotalsDuring(b.o.loadDuration)
	r, err := b.wrkLoad(paths, ids, b.o.loadConnections, b.o.loadDuration)
	if err != nil {
		return err
	}
	during := <-reads
	if during.err != nil {
		return during.err
	}
	if err := b.settle(); err != nil {
		return err
	}
	after, err := b.pgbenchTPS(b.o.loadConnections, b.o.loadDuration)
	if err != nil {
		return err
	}
	tps := (before + after) / 2
	b.add(fmt.Sprintf("enrolment POST, wrk, %d connections on loopback (req/s; p50 / p99; errors)", b.o.loadConnections),
		fmt.Sprintf("%.0f req/s; %s / %s; %d errors", r.perSecond(), ms(r.p50), ms(r.p99), r.errors),
		fmt.Sprintf("pgbench -N, %d clients: %.0f tps (%.0f before, %.0f after)", b.o.loadConnections, tps, before, after),
		fmt.Sprintf("%.2f×", r.perSecond()/tps), "≥ 0.7× pgbench -N, p99 ≤ 50 ms")
	b.add("totals, no filter, read every 250 ms during the enrolment load (p50 / p99; journal rows, median / max)",
		fmt.Sprintf("%s / %s; %d / %d", ms(during.l.p50()), ms(during.l.p99()), median(during.journal), slices.Max(append(during.journal, 0))),
		"—", "—", "p50 ≤ 40 ms, p99 ≤ 100 ms")
	return nil
}

// timedReads are the latencies of reads made while something else ran,
// and how many rows the totals journal held just before each.
type timedReads struct {
	l       latencies
	journal []int
	err     error
}

// readTotalsDuring reads the national totals every 250 ms for d, as the
// ministry's dashboard would while trainers enrol, and hands back the
// latencies when done.
func (b *bench) readTotalsDuring(d time.Duration) <-chan timedReads {
	out := make(chan timedReads, 1)
	go func() {
		var r timedReads
		for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
			var rows int
			if r.err = b.db.Get(&rows, `SELECT count(*) FROM totals_pending`); r.err != nil {
				break
			}
			r.journal = append(r.journal, rows)
			start := time.Now()
			if r.err = b.get("/api/v1/totals"); r.err != nil {
				break
			}
			r.l = append(r.l, time.Since(start))
		}
		out <- r
	}()
	return out
}

// median is the middle value of xs (0 for none).
func median(xs []int) int {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// measureAttendance: PUT the marks of a 40-person session, alternating.
func (b *bench) measureAttendance() error {
	course, err := b.benchCourse("BENCH-ATT", 40)
	if err != nil {
		return err
	}
	var ids []int64
	if err := b.db.Select(&ids, `SELECT id FROM trainees WHERE category <> 'child_parliamentarian' ORDER BY id DESC LIMIT 40`); err != nil {
		return err
	}
	for _, id := range ids {
		status, _, _, err := b.call("POST", fmt.Sprintf("/api/v1/courses/%d/enrollments", course), jsonBody(map[string]any{"trainee_id": id}), "application/json")
		if err != nil || status != 201 {
			return fmt.Errorf("enrol %d: %d %v", id, status, err)
		}
	}
	status, _, _, err := b.call("POST", fmt.Sprintf("/api/v1/courses/%d/sessions", course), jsonBody(map[string]any{
		"starts_at": "2026-03-03T09:00:00+01:00", "ends_at": "2026-03-03T12:00:00+01:00", "place": "Rabat", "hours": 3}), "application/json")
	if err != nil || status != 201 {
		return fmt.Errorf("session: %d %v", status, err)
	}
	var session int64
	if err := b.db.Get(&session, `SELECT id FROM sessions WHERE course_id = $1`, course); err != nil {
		return err
	}
	round := 0
	l, err := timeN(b.o.samples*2, func() error {
		round++
		marks := make([]map[string]any, len(ids))
		for i, id := range ids {
			marks[i] = map[string]any{"trainee_id": id, "status": domain.AttendanceStatuses[(i+round)%4]}
		}
		status, _, _, err := b.call("PUT", fmt.Sprintf("/api/v1/sessions/%d/attendance", session), jsonBody(marks), "application/json")
		if err == nil && status != 200 {
			err = fmt.Errorf("status %d", status)
		}
		return err
	})
	if err != nil {
		return err
	}
	b.add("attendance PUT, 40 trainees (p50 / p99)", ms(l.p50())+" / "+ms(l.p99()), "—", "—", "p99 ≤ 30 ms")
	return nil
}

// measurePages: a course page, the dashboard, and a course with 2,450 sessions.
func (b *bench) measurePages() error {
	var course int64
	if err := b.db.Get(&course, `SELECT e.course_id FROM enrollments e JOIN courses c ON c.id = e.course_id WHERE c.code NOT LIKE 'BENCH-%' GROUP BY e.course_id ORDER BY count(*) DESC LIMIT 1`); err != nil {
		return err
	}
	big, err := b.benchCourse("BENCH-2450", 50)
	if err != nil {
		return err
	}
	const sessions = `INSERT INTO sessions (course_id, starts_at, ends_at, place, hours)
	  SELECT $1, timestamptz '2020-01-06 09:00+01' + k * interval '1 day', timestamptz '2020-01-06 12:00+01' + k * interval '1 day', 'Salle', 3
	    FROM generate_series(0, 2449) k`
	if _, err := b.db.Exec(sessions, big); err != nil {
		return err
	}
	for _, p := range []struct{ label, path string }{
		{"course page, largest synthetic course", fmt.Sprintf("/courses/%d", course)},
		{"dashboard page, national", "/dashboard"},
		{"course page with 2,450 sessions", fmt.Sprintf("/courses/%d", big)},
	} {
		l, err := timeN(b.o.samples, func() error { return b.get(p.path) })
		if err != nil {
			return err
		}
		target := "measured"
		if strings.Contains(p.label, "2,450") {
			target = "≤ 200 ms"
		}
		b.add(p.label+" (p50 / p99)", ms(l.p50())+" / "+ms(l.p99()), "—", "—", target)
	}
	return nil
}

func parseQuery(q string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(q, "&") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			out[k] = v
		}
	}
	return out
}
