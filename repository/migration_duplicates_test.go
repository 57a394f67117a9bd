package repository_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/pressly/goose/v3"

	"takaffoul/migrations"
	"takaffoul/repository/dbtest"
)

// Migration 00013 on a database that holds twin organisations already (a
// trailing space, another letter case): both stay, with their members, so
// no figure moves; the older one holds the folded name, so that no third
// twin can be created, and the duplicates page lists the pair.
func TestMigrationKeepsExistingTwinOrganisations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := sql.Open("postgres", dbtest.EmptyDatabase(t))
	must(t, err)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS)
	must(t, err)
	_, err = p.UpTo(ctx, 12)
	must(t, err)
	// As the code before 00013 stored them (name_key: "folded ar | folded fr").
	_, err = db.Exec(`INSERT INTO organisations (id, kind, name_ar, name_fr, name_key) VALUES
	    (1, 'association', 'جمعية الأمل', 'Association Al Amal', 'جمعيه الامل | association al amal'),
	    (2, 'association', NULL, 'association al amal ', 'association al amal'),
	    (3, 'institution', NULL, 'Association Al Amal', 'association al amal')`)
	must(t, err)
	_, err = p.Up(ctx)
	must(t, err)

	var keys []string
	rows, err := db.Query(`SELECT organisation_id || ' ' || kind || ' ' || key FROM organisation_keys ORDER BY 1`)
	must(t, err)
	defer rows.Close()
	for rows.Next() {
		var k string
		must(t, rows.Scan(&k))
		keys = append(keys, k)
	}
	want := []string{"1 association association al amal", "1 association جمعيه الامل", "3 institution association al amal"}
	if len(keys) != len(want) || keys[0] != want[0] || keys[1] != want[1] || keys[2] != want[2] {
		t.Errorf("keys after the migration: %q, want %q", keys, want)
	}
	var orgs int
	must(t, db.QueryRow(`SELECT count(*) FROM organisations`).Scan(&orgs))
	if orgs != 3 {
		t.Errorf("%d organisations after the migration, want the 3 there were", orgs)
	}
	if _, err := db.Exec(`INSERT INTO organisation_keys (organisation_id, kind, key) VALUES (2, 'association', 'association al amal')`); err == nil {
		t.Error("the database took a second association under one folded name")
	}
}
