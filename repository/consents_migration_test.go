package repository_test

import (
	"context"
	"testing"

	"github.com/pressly/goose/v3"

	"takaffoul/migrations"
	"takaffoul/repository"
	"takaffoul/repository/dbtest"
)

// Migration 00021 turns every ticked consent into a consent record
// "recorded before consent records existed", the figures and enrolments
// untouched, and its way back restores the box.
func TestMigrationTurnsTickedConsentsIntoRecords(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, err := repository.Open(ctx, dbtest.EmptyDatabase(t), repository.PoolConfig{})
	must(t, err)
	defer store.Close()
	migrator, err := goose.NewProvider(goose.DialectPostgres, store.DB().DB, migrations.FS)
	must(t, err)
	_, err = migrator.UpTo(ctx, 16)
	must(t, err)
	db := store.DB()
	db.MustExec(`INSERT INTO organisations (id, kind, name_fr) VALUES (1, 'association', 'A')`)
	db.MustExec(`INSERT INTO trainees (id, category, full_name_latin, name_key, sex, organisation_id, organisation_kind, birth_year, guardian_consent)
	             VALUES (1, 'associative_actor', 'A', 'a', 'female', 1, 'association', NULL, false),
	                    (2, 'child_parliamentarian', 'C', 'c', 'male', NULL, NULL, 2007, true)`)
	_, err = migrator.UpTo(ctx, 21)
	must(t, err)
	var consents []struct {
		TraineeID int64  `db:"trainee_id"`
		Scope     string `db:"scope"`
		Method    string `db:"method"`
		By        *int64 `db:"recorded_by"`
	}
	must(t, db.Select(&consents, `SELECT trainee_id, scope, method, recorded_by FROM consents ORDER BY id`))
	if len(consents) != 1 || consents[0].TraineeID != 2 || consents[0].Scope != "training" ||
		consents[0].Method != "before_records" || consents[0].By != nil {
		t.Fatalf("consents after the migration: %+v", consents)
	}
	_, err = migrator.DownTo(ctx, 16)
	must(t, err)
	var ticked []int64
	must(t, db.Select(&ticked, `SELECT id FROM trainees WHERE guardian_consent ORDER BY id`))
	if len(ticked) != 1 || ticked[0] != 2 {
		t.Errorf("the way back ticks %v, want [2]", ticked)
	}
	_, err = migrator.UpTo(ctx, 21)
	must(t, err)
}
