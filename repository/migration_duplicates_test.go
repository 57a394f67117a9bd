package repository_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/pressly/goose/v3"

	"takaffoul/domain"
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

// Migration 00036 folds the keys stored before it as domain.SearchKey
// folds them now (typographic apostrophes and dashes are separators), so
// that the database's guarantee meets a name typed either way.
func TestMigrationFoldsStoredKeysAsSearchKeyNowDoes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := sql.Open("postgres", dbtest.EmptyDatabase(t))
	must(t, err)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS)
	must(t, err)
	_, err = p.UpTo(ctx, 35)
	must(t, err)
	// As the code before 00036 stored them: the typographic characters kept.
	nameFr, institution, latin := "Association d’appui à l’enfance", "Centre – Rabat ‐ Salé", "Sa’id Aït—Lahcen"
	_, err = db.Exec(`INSERT INTO organisations (id, kind, name_fr, name_key) VALUES
	    (1, 'association', $1, 'association d’appui a l’enfance'), (2, 'institution', $2, 'centre – rabat ‐ sale')`, nameFr, institution)
	must(t, err)
	_, err = db.Exec(`INSERT INTO organisation_keys (organisation_id, kind, key) VALUES
	    (1, 'association', 'association d’appui a l’enfance'), (2, 'institution', 'centre – rabat ‐ sale')`)
	must(t, err)
	_, err = db.Exec(`INSERT INTO trainees (id, category, full_name_ar, full_name_latin, name_key, sex, organisation_id, organisation_kind)
	    VALUES (1, 'associative_actor', 'سعيد', $1, 'سعيد | sa’id ait—lahcen', 'male', 1, 'association')`, latin)
	must(t, err)
	_, err = p.Up(ctx)
	must(t, err)

	var trainee, org1, org2 string
	must(t, db.QueryRow(`SELECT name_key FROM trainees WHERE id = 1`).Scan(&trainee))
	must(t, db.QueryRow(`SELECT name_key FROM organisations WHERE id = 1`).Scan(&org1))
	must(t, db.QueryRow(`SELECT name_key FROM organisations WHERE id = 2`).Scan(&org2))
	if want := domain.SearchKey("سعيد") + " | " + domain.SearchKey(latin); trainee != want {
		t.Errorf("the person's key %q, want %q", trainee, want)
	}
	if org1 != domain.SearchKey(nameFr) || org2 != domain.SearchKey(institution) {
		t.Errorf("organisations' keys %q, %q, want %q, %q", org1, org2, domain.SearchKey(nameFr), domain.SearchKey(institution))
	}
	var keys []string
	rows, err := db.Query(`SELECT key FROM organisation_keys ORDER BY organisation_id`)
	must(t, err)
	defer rows.Close()
	for rows.Next() {
		var k string
		must(t, rows.Scan(&k))
		keys = append(keys, k)
	}
	if len(keys) != 2 || keys[0] != domain.SearchKey(nameFr) || keys[1] != domain.SearchKey(institution) {
		t.Errorf("organisation keys after the migration: %q", keys)
	}
	// The guarantee now meets the name typed with a straight apostrophe.
	_, err = db.Exec(`INSERT INTO organisation_keys (organisation_id, kind, key) VALUES (2, 'association', $1)`,
		domain.SearchKey("Association d'appui à l'enfance"))
	if err == nil {
		t.Error("the database took a second association under one folded name")
	}
}
