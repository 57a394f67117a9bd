package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"takaffoul/domain"
	"takaffoul/repository"
	"takaffoul/repository/dbtest"
)

// The retention command (issue 18): the dry run lists what is due and
// changes nothing; -apply does exactly what the dry run listed, and the
// figures stay.
func TestRetentionDryRunChangesNothingAndTheRunDoesWhatItListed(t *testing.T) {
	t.Parallel()
	store := dbtest.Store(t)
	ctx := context.Background()
	w := dbtest.NewWorld(t, store, dbtest.WorldNames{Courses: [2]string{"R-1", "R-2"}, Institution: "Centre"})
	u := &domain.User{Email: "retention@example.ma", Name: "Coordinatrice", Role: domain.RoleCoordinator}
	must(t, store.CreateUser(ctx, u, "a-long-enough-password", nil))
	person := func(name string, cat domain.Category) *domain.Trainee {
		tr := &domain.Trainee{Category: cat, FullNameAr: &name, Sex: domain.Female, BirthYear: ptr(2006), GuardianConsent: true}
		if cat == domain.InstitutionalActor {
			tr.OrganisationID, tr.BirthYear = &w.Institution.ID, ptr(1980)
		}
		must(t, store.CreateTrainee(ctx, tr, &u.ID))
		return tr
	}
	due, unenrolled, adult := person("سلمى", domain.ChildParliamentarian), person("ريم", domain.ChildParliamentarian),
		person("Adulte", domain.InstitutionalActor)
	for _, p := range []*domain.Trainee{due, adult} {
		_, err := store.Enroll(ctx, w.Course.ID, p.ID, repository.EnrollOptions{}, &u.ID)
		must(t, err)
	}
	png := []byte("\x89PNG\r\n\x1a\nscan")
	oldScan, err := store.RecordConsent(ctx, domain.NewConsent{TraineeID: unenrolled.ID, Scope: domain.ConsentPhotographs,
		Method: domain.ConsentSignedForm, WordingVersion: "v1", GivenOn: day("2015-01-10"), Scan: png}, &u.ID)
	must(t, err)
	_, err = store.RecordConsent(ctx, domain.NewConsent{TraineeID: due.ID, Scope: domain.ConsentPhotographs,
		Method: domain.ConsentSignedForm, WordingVersion: "v1", GivenOn: day("2020-01-10"), Scan: png}, &u.ID)
	must(t, err)

	policy := repository.RetentionPolicy{ChildYears: 2, ScanYears: 5}
	now := time.Date(2021, 6, 1, 12, 0, 0, 0, time.UTC) // the course ended 2019-03-30
	totals, err := store.Totals(ctx, domain.TotalsFilter{})
	must(t, err)
	before := snapshot(t, store)
	var dry bytes.Buffer
	must(t, runRetention(ctx, store, policy, now, false, &dry))
	if after := snapshot(t, store); after != before {
		t.Fatalf("the dry run changed the database:\n%s", dry.String())
	}
	listed := actionLines(dry.String())
	want := []string{
		"anonymise person " + itoa(due.ID) + " (child parliamentarian, last course ended 2019-03-30)",
		"delete the scan of consent " + itoa(oldScan.ID) + " (person " + itoa(unenrolled.ID) + ", given 2015-01-10)",
	}
	if strings.Join(listed, "\n") != strings.Join(want, "\n") || !strings.Contains(dry.String(), "dry run: 1 people to anonymise, 1 scans to delete") {
		t.Fatalf("dry run:\n%s\nwant the lines:\n%s", dry.String(), strings.Join(want, "\n"))
	}

	var run bytes.Buffer
	must(t, runRetention(ctx, store, policy, now, true, &run))
	if done := actionLines(run.String()); strings.Join(done, "\n") != strings.Join(listed, "\n") {
		t.Fatalf("the run did\n%s\nthe dry run listed\n%s", run.String(), dry.String())
	}
	var name, cin *string
	var anonymised *time.Time
	must(t, store.DB().QueryRow(`SELECT full_name_ar, national_id, anonymised_at FROM trainees WHERE id = $1`, due.ID).Scan(&name, &cin, &anonymised))
	if name != nil || anonymised == nil {
		t.Errorf("the due child keeps their name %v", name)
	}
	var scans, people, named int
	must(t, store.DB().Get(&scans, `SELECT count(*) FROM consents WHERE scan IS NOT NULL`))
	must(t, store.DB().Get(&people, `SELECT count(*) FROM trainees`))
	must(t, store.DB().Get(&named, `SELECT count(*) FROM trainees WHERE anonymised_at IS NULL`))
	// the due child's own (recent) scan went with their anonymisation
	if scans != 0 || people != 3 || named != 2 {
		t.Errorf("%d scans left, %d people, %d named; want 0, 3, 2", scans, people, named)
	}
	var reasons int
	must(t, store.DB().Get(&reasons, `SELECT count(*) FROM audit_log WHERE action = 'person.anonymise' AND after ->> 'reason' LIKE 'retention:%'`))
	if reasons != 1 {
		t.Errorf("%d anonymisations audited with the policy as reason, want 1", reasons)
	}
	after, err := store.Totals(ctx, domain.TotalsFilter{})
	must(t, err)
	if a, b := jsonString(t, totals), jsonString(t, after); a != b {
		t.Errorf("the figures moved:\n%s\n%s", a, b)
	}
	// A second run finds nothing left to do.
	run.Reset()
	must(t, runRetention(ctx, store, policy, now, true, &run))
	if lines := actionLines(run.String()); len(lines) != 0 {
		t.Errorf("a second run did %v", lines)
	}
}

// actionLines are the output's lines that name an action.
func actionLines(out string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "anonymise ") || strings.HasPrefix(l, "delete ") {
			lines = append(lines, l)
		}
	}
	return lines
}

// snapshot is a digest of every row a retention run may touch.
// The server applies the policy by itself only once RETENTION_APPLY=daily
// says so: anonymising cannot be undone, so a server upgraded over years of
// records (or restarted after seed demo) only logs what a run would do.
func TestTheServerAppliesRetentionOnlyWhenToldTo(t *testing.T) {
	t.Parallel()
	store := dbtest.Store(t)
	ctx := context.Background()
	w := dbtest.NewWorld(t, store, dbtest.WorldNames{Courses: [2]string{"A-1", "A-2"}, Institution: "Centre"})
	u := &domain.User{Email: "auto@example.ma", Name: "Coordinatrice", Role: domain.RoleCoordinator}
	must(t, store.CreateUser(ctx, u, "a-long-enough-password", nil))
	name := "سلمى"
	child := &domain.Trainee{Category: domain.ChildParliamentarian, FullNameAr: &name, Sex: domain.Female,
		BirthYear: ptr(time.Now().Year() - 15), GuardianConsent: true}
	must(t, store.CreateTrainee(ctx, child, &u.ID))
	_, err := store.Enroll(ctx, w.Course.ID, child.ID, repository.EnrollOptions{}, &u.ID)
	must(t, err)
	policy := repository.RetentionPolicy{ChildYears: 1, ScanYears: 0}
	if plan, err := store.RetentionPlan(ctx, policy, time.Now()); err != nil || len(plan) != 1 {
		t.Fatalf("the world's course is over a year old: want the child in the plan, got %v, %v", plan, err)
	}
	anonymised := func() bool {
		var at *time.Time
		must(t, store.DB().QueryRow(`SELECT anonymised_at FROM trainees WHERE id = $1`, child.ID).Scan(&at))
		return at != nil
	}

	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	retentionRound(ctx, store, policy, false, log)
	if anonymised() || !strings.Contains(logged.String(), "RETENTION_APPLY=daily") || !strings.Contains(logged.String(), "anonymised=1") {
		t.Fatalf("without RETENTION_APPLY the server must only say what it would do; anonymised=%v, log: %s", anonymised(), logged.String())
	}
	retentionRound(ctx, store, policy, true, log)
	if !anonymised() {
		t.Fatalf("with RETENTION_APPLY=daily the server applies the policy; log: %s", logged.String())
	}
	if strings.Contains(logged.String(), name) {
		t.Errorf("the log names the person: %s", logged.String())
	}
}

func snapshot(t *testing.T, store *repository.Store) string {
	t.Helper()
	var digest string
	must(t, store.DB().Get(&digest, `SELECT concat_ws('/',
	    (SELECT md5(coalesce(string_agg(x::text, ',' ORDER BY x.id), '')) FROM trainees x),
	    (SELECT md5(coalesce(string_agg(x::text, ',' ORDER BY x.id), '')) FROM consents x),
	    (SELECT md5(coalesce(string_agg(x::text, ',' ORDER BY x.id), '')) FROM enrollments x),
	    (SELECT md5(coalesce(string_agg(x::text, ',' ORDER BY x.id), '')) FROM audit_log x))`))
	return digest
}

func jsonString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	must(t, err)
	return string(b)
}

func day(s string) domain.Date {
	d, err := domain.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }
