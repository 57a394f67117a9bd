package repository

import (
	"context"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The import wizard's memory (migration 00017): the file being previewed,
// and the fields each user chose for headers the import does not know.

// importDraftLife is how long an uploaded file is kept for its preview.
const importDraftLife = "1 day"

// SaveImportDraft keeps an uploaded file for userID's preview and returns
// its id; the user's earlier draft, and anyone's older than a day, go.
func (s *Store) SaveImportDraft(ctx context.Context, userID int64, filename string, data []byte) (id int64, err error) {
	defer wrap(&err, "SaveImportDraft")
	if len(filename) > 300 {
		filename = filename[:300]
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		const purge = `DELETE FROM import_drafts WHERE user_id = $1 OR created_at < now() - interval '` + importDraftLife + `'`
		if _, err := tx.ExecContext(ctx, purge, userID); err != nil {
			return mapError(err)
		}
		const insert = `INSERT INTO import_drafts (user_id, filename, data) VALUES ($1, $2, $3) RETURNING id`
		return getOne(ctx, tx, &id, insert, userID, filename, data)
	})
	return id, err
}

// ImportDraft is userID's draft id: another user's, or one gone, is not found.
func (s *Store) ImportDraft(ctx context.Context, id, userID int64) (filename string, data []byte, err error) {
	defer wrap(&err, "ImportDraft")
	var d struct {
		Filename string `db:"filename"`
		Data     []byte `db:"data"`
	}
	const q = `SELECT filename, data FROM import_drafts
	            WHERE id = $1 AND user_id = $2 AND created_at >= now() - interval '` + importDraftLife + `'`
	if err := getOne(ctx, s.db, &d, q, id, userID); err != nil {
		return "", nil, err
	}
	return d.Filename, d.Data, nil
}

// DeleteImportDraft forgets userID's draft id (once its import is committed).
func (s *Store) DeleteImportDraft(ctx context.Context, id, userID int64) (err error) {
	defer wrap(&err, "DeleteImportDraft")
	_, err = s.db.ExecContext(ctx, `DELETE FROM import_drafts WHERE id = $1 AND user_id = $2`, id, userID)
	return mapError(err)
}

// ImportColumnChoices are the fields userID chose for headers, by folded header.
func (s *Store) ImportColumnChoices(ctx context.Context, userID int64) (_ map[string]string, err error) {
	defer wrap(&err, "ImportColumnChoices")
	var rows []struct {
		Key   string `db:"header_key"`
		Field string `db:"field"`
	}
	const q = `SELECT header_key, field FROM import_column_choices WHERE user_id = $1`
	if err := s.db.SelectContext(ctx, &rows, q, userID); err != nil {
		return nil, mapError(err)
	}
	choices := make(map[string]string, len(rows))
	for _, r := range rows {
		choices[r.Key] = r.Field
	}
	return choices, nil
}

// SaveImportColumnChoices remembers userID's choices (folded header → field
// or "ignore"), replacing earlier ones for the same headers.
func (s *Store) SaveImportColumnChoices(ctx context.Context, userID int64, choices map[string]string) (err error) {
	defer wrap(&err, "SaveImportColumnChoices")
	if len(choices) == 0 {
		return nil
	}
	var keys, fields []string
	for k, f := range choices {
		keys, fields = append(keys, k), append(fields, f)
	}
	const q = `INSERT INTO import_column_choices (user_id, header_key, field)
	           SELECT $1, k, f FROM unnest($2::text[], $3::text[]) AS c(k, f)
	           ON CONFLICT (user_id, header_key) DO UPDATE SET field = EXCLUDED.field, chosen_at = now()`
	_, err = s.db.ExecContext(ctx, q, userID, pq.Array(keys), pq.Array(fields))
	return mapError(err)
}
