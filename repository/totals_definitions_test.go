package repository_test

import (
	"flag"
	"os"
	"strings"
	"testing"
	"unicode"

	"takaffoul/repository/dbtest"
)

var updateTotalsDefinitions = flag.Bool("update-totals-definitions", false, "rewrite repository/totals_definitions.sql")

// totalsDefinitionsFile holds, readable in one place, the current
// definition of every trigger and trigger function the totals depend on —
// the sum of the migrations that created and then replaced them (00003,
// 00005, 00007, 00010, 00014, 00016, 00039). It is not run: the
// migrations are the schema. This test says it is what a migrated database
// holds, so that a migration that changes a trigger changes the file with
// it (`go test ./repository -run TestTotalsDefinitions -update-totals-definitions`).
const totalsDefinitionsFile = "totals_definitions.sql"

// The totals' triggers: the journal's notes, the counters the figures sum
// (attendance per enrolment, sessions per course, courses per cell) and the
// places a course has left.
var totalsFunctions = []string{
	"totals_note_trainee", "totals_note_enrollment", "totals_note_course", "totals_note_province",
	"attendance_keep_counts", "courses_keep_session_counts", "sessions_cancel_counts",
	"totals_courses_keep", "totals_courses_add", "courses_count_places",
}

func TestTotalsDefinitionsAreTheMigratedDatabases(t *testing.T) {
	t.Parallel()
	db := dbtest.Store(t).DB()
	var b strings.Builder
	b.WriteString(`-- The totals engine's triggers and trigger functions as a migrated database
-- holds them: the current definitions, in one place (docs/TOTALS.md, "The map").
-- Written by TestTotalsDefinitionsAreTheMigratedDatabases from pg_get_functiondef
-- and pg_get_triggerdef; never run (the migrations are the schema). A migration
-- that changes one of them rewrites this file:
--   go test ./repository -run TestTotalsDefinitions -update-totals-definitions
`)
	for _, name := range totalsFunctions {
		var def string
		if err := db.Get(&def, `SELECT pg_get_functiondef(p.oid) FROM pg_proc p
		                         JOIN pg_namespace n ON n.oid = p.pronamespace
		                        WHERE n.nspname = 'public' AND p.proname = $1`, name); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var triggers []string
		if err := db.Select(&triggers, `SELECT pg_get_triggerdef(oid) || ';' FROM pg_trigger
		                                 WHERE tgfoid = $1::regproc AND NOT tgisinternal
		                                 ORDER BY tgrelid::regclass::text, tgname`, name); err != nil {
			t.Fatalf("%s's triggers: %v", name, err)
		}
		b.WriteString("\n-- " + name + "\n" + strings.TrimSpace(def) + ";\n")
		for _, trg := range triggers {
			b.WriteString(trg + "\n")
		}
	}
	got := b.String()
	if *updateTotalsDefinitions {
		if err := os.WriteFile(totalsDefinitionsFile, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(totalsDefinitionsFile)
	if err != nil {
		t.Fatal(err)
	}
	if shapeOf(string(want)) != shapeOf(got) {
		t.Errorf("%s is not what the migrations define: run go test ./repository -run TestTotalsDefinitions -update-totals-definitions and read the diff", totalsDefinitionsFile)
	}
}

// shapeOf is a definition without its spaces and parentheses: PostgreSQL's
// major versions print a trigger's WHEN clause with more or fewer of them
// (the file is written from PostgreSQL 15; the embedded server may be
// another), and a change of meaning still changes what is left.
func shapeOf(def string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '(' || r == ')' {
			return -1
		}
		return r
	}, def)
}
