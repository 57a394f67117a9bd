package repository

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Rows a merge touches, kept whole so that an unmerge puts them back
// exactly (docs/DUPLICATES.md). A row is read as to_jsonb(row) and written
// back with jsonb_populate_record over the table's current columns, so a
// column added by a later migration (an enrolment's snapshot of the
// person's organisation, say) is kept and restored without this file
// knowing it. Rows are named by their primary key.

// touchedRows is what a merge did to one table: rows it changed (as they
// were before, and as the merge left them), rows it deleted (as they were)
// and rows it inserted (as inserted).
type touchedRows struct {
	Table    string            `json:"table"`
	Updated  []json.RawMessage `json:"updated,omitempty"`
	Set      []string          `json:"set,omitempty"`   // the columns the merge set in Updated's rows (not what triggers derived)
	After    []json.RawMessage `json:"after,omitempty"` // Updated's rows once merged, in the same order
	Deleted  []json.RawMessage `json:"deleted,omitempty"`
	Inserted []json.RawMessage `json:"inserted,omitempty"`
}

// mergeRecord is a merge's before-state: the tables in the order an
// unmerge restores them (parents before children).
type mergeRecord struct {
	Tables []*touchedRows `json:"tables"`
}

// restoreOrder is the order of the tables an unmerge restores: a row's
// parent exists again before the row does. Tables not listed come last.
var restoreOrder = []string{"organisations", "organisation_keys", "trainees", "enrollments", "attendance"}

// capture collects the rows a merge touches, in its transaction: each row
// as it was when the merge first touched it.
type capture struct {
	ctx    context.Context
	tx     *sqlx.Tx
	order  []string                     // tables in the order first touched
	before map[string][]json.RawMessage // table → rows as first touched
	seen   map[string]map[string]bool   // table → primary keys touched
	added  map[string][]json.RawMessage // table → rows the merge inserted
	set    map[string][]string          // table → columns the merge set
	keys   map[string][]string          // table → primary key columns
}

func newCapture(ctx context.Context, tx *sqlx.Tx) *capture {
	return &capture{ctx: ctx, tx: tx, before: map[string][]json.RawMessage{}, seen: map[string]map[string]bool{},
		added: map[string][]json.RawMessage{}, set: map[string][]string{}, keys: map[string][]string{}}
}

// rows reads the rows of table matching where (SQL over the alias t) as JSONB.
func (c *capture) rows(table, where string, args ...any) ([]json.RawMessage, error) {
	var rows []json.RawMessage
	q := fmt.Sprintf(`SELECT to_jsonb(t) FROM %s t WHERE %s ORDER BY to_jsonb(t)::text`, pq.QuoteIdentifier(table), where)
	if err := sqlx.SelectContext(c.ctx, c.tx, &rows, q, args...); err != nil {
		return nil, mapError(fmt.Errorf("capture %s: %w", table, err))
	}
	return rows, nil
}

// keep records rows of table as they are before the merge changes them; a
// row already kept stays as it was first kept.
func (c *capture) keep(table string, rows []json.RawMessage) error {
	key, err := primaryKey(c.ctx, c.tx, c.keys, table)
	if err != nil {
		return err
	}
	if c.seen[table] == nil {
		c.seen[table] = map[string]bool{}
		c.order = append(c.order, table)
	}
	for _, row := range rows {
		id, err := keyOf(row, key)
		if err != nil {
			return err
		}
		if !c.seen[table][id] {
			c.seen[table][id] = true
			c.before[table] = append(c.before[table], row)
		}
	}
	return nil
}

// keepRows keeps the rows of table matching where as they are now, before
// the merge touches them or what they count.
func (c *capture) keepRows(table, where string, args ...any) error {
	rows, err := c.rows(table, where, args...)
	if err != nil {
		return err
	}
	return c.keep(table, rows)
}

// update sets the columns cols to values on the rows of table matching
// where (whose parameters come first), keeping the rows first.
func (c *capture) update(table, where string, whereArgs []any, cols []string, values ...any) (int, error) {
	before, err := c.rows(table, where, whereArgs...)
	if err != nil || len(before) == 0 {
		return 0, err
	}
	if err := c.keep(table, before); err != nil {
		return 0, err
	}
	set := make([]string, len(cols))
	for i, col := range cols {
		set[i] = fmt.Sprintf("%s = $%d", pq.QuoteIdentifier(col), len(whereArgs)+i+1)
		if !slices.Contains(c.set[table], col) {
			c.set[table] = append(c.set[table], col)
		}
	}
	q := fmt.Sprintf(`UPDATE %s t SET %s WHERE %s`, pq.QuoteIdentifier(table), strings.Join(set, ", "), where)
	if _, err := c.tx.ExecContext(c.ctx, q, append(slices.Clone(whereArgs), values...)...); err != nil {
		return 0, mapError(fmt.Errorf("merge %s: %w", table, err))
	}
	return len(before), nil
}

// remove deletes the rows of table matching where, keeping them first.
func (c *capture) remove(table, where string, args ...any) (int, error) {
	before, err := c.rows(table, where, args...)
	if err != nil || len(before) == 0 {
		return 0, err
	}
	if err := c.keep(table, before); err != nil {
		return 0, err
	}
	q := fmt.Sprintf(`DELETE FROM %s t WHERE %s`, pq.QuoteIdentifier(table), where)
	if _, err := c.tx.ExecContext(c.ctx, q, args...); err != nil {
		return 0, mapError(fmt.Errorf("merge %s: %w", table, err))
	}
	return len(before), nil
}

// inserted keeps rows the merge inserted (read back by where).
func (c *capture) inserted(table, where string, args ...any) error {
	rows, err := c.rows(table, where, args...)
	if err != nil {
		return err
	}
	if c.seen[table] == nil {
		c.seen[table] = map[string]bool{}
		c.order = append(c.order, table)
	}
	c.added[table] = append(c.added[table], rows...)
	return nil
}

// record answers the before-state once the merge is done, in restore
// order: each row kept is Updated (it still exists: with After, as the
// merge left it, for an unmerge to check nobody changed it since) or
// Deleted.
func (c *capture) record() (*mergeRecord, error) {
	r := &mergeRecord{}
	for _, table := range c.order {
		t := &touchedRows{Table: table, Inserted: c.added[table], Set: c.set[table]}
		for _, row := range c.before[table] {
			now, err := currentRow(c.ctx, c.tx, c.keys, table, row)
			if err != nil {
				return nil, err
			}
			if now == nil {
				t.Deleted = append(t.Deleted, row)
			} else {
				t.Updated, t.After = append(t.Updated, row), append(t.After, now)
			}
		}
		r.Tables = append(r.Tables, t)
	}
	slices.SortStableFunc(r.Tables, func(a, b *touchedRows) int { return tableRank(a.Table) - tableRank(b.Table) })
	return r, nil
}

// keyOf is the primary key of row (JSONB) as one comparable string.
func keyOf(row json.RawMessage, key []string) (string, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(row, &fields); err != nil {
		return "", fmt.Errorf("captured row: %w", err)
	}
	parts := make([]string, len(key))
	for i, col := range key {
		parts[i] = string(fields[col])
	}
	return strings.Join(parts, "\x00"), nil
}

func tableRank(table string) int {
	if i := slices.Index(restoreOrder, table); i >= 0 {
		return i
	}
	return len(restoreOrder)
}

// primaryKey lists table's primary key columns (cached in keys).
func primaryKey(ctx context.Context, q sqlx.QueryerContext, keys map[string][]string, table string) ([]string, error) {
	if cols, ok := keys[table]; ok {
		return cols, nil
	}
	const query = `SELECT a.attname FROM pg_index i
	                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
	                WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY a.attnum`
	var cols []string
	if err := sqlx.SelectContext(ctx, q, &cols, query, table); err != nil {
		return nil, mapError(fmt.Errorf("primary key of %s: %w", table, err))
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("%s has no primary key: its rows cannot be restored", table)
	}
	keys[table] = cols
	return cols, nil
}

// columnsOf lists table's columns as they are now (a later migration's too).
func columnsOf(ctx context.Context, q sqlx.QueryerContext, table string) ([]string, error) {
	const query = `SELECT attname FROM pg_attribute
	                WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''
	                ORDER BY attnum`
	var cols []string
	if err := sqlx.SelectContext(ctx, q, &cols, query, table); err != nil {
		return nil, mapError(fmt.Errorf("columns of %s: %w", table, err))
	}
	return cols, nil
}

func quoteAll(cols []string) string {
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = pq.QuoteIdentifier(c)
	}
	return strings.Join(quoted, ", ")
}

// byKey is the WHERE clause naming the row whose JSONB is $1 by its primary key.
func byKey(table string, key []string) string {
	return fmt.Sprintf(`(%s) = (SELECT %s FROM jsonb_populate_record(NULL::%s, $1))`,
		quoteAll(key), quoteAll(key), pq.QuoteIdentifier(table))
}

// currentRow reads the row that row (JSONB) names by its primary key, as
// it is now; nil if it no longer exists.
func currentRow(ctx context.Context, q sqlx.QueryerContext, keys map[string][]string, table string, row json.RawMessage) (json.RawMessage, error) {
	key, err := primaryKey(ctx, q, keys, table)
	if err != nil {
		return nil, err
	}
	var rows []json.RawMessage
	query := fmt.Sprintf(`SELECT to_jsonb(t) FROM %s t WHERE %s`, pq.QuoteIdentifier(table), byKey(table, key))
	if err := sqlx.SelectContext(ctx, q, &rows, query, string(row)); err != nil {
		return nil, mapError(fmt.Errorf("read back %s: %w", table, err))
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return rows[0], nil
}

// sameJSON compares two rows as PostgreSQL's jsonb does (key order and
// spacing do not count).
func sameJSON(ctx context.Context, q sqlx.QueryerContext, a, b json.RawMessage) (bool, error) {
	if a == nil || b == nil {
		return a == nil && b == nil, nil
	}
	var same bool
	err := sqlx.GetContext(ctx, q, &same, `SELECT $1::jsonb = $2::jsonb`, string(a), string(b))
	return same, mapError(err)
}

// restorer puts a merge's rows back, in its unmerge's transaction.
type restorer struct {
	ctx  context.Context
	tx   *sqlx.Tx
	keys map[string][]string
	cols map[string][]string
}

func (r *restorer) columns(table string) ([]string, error) {
	if cols, ok := r.cols[table]; ok {
		return cols, nil
	}
	cols, err := columnsOf(r.ctx, r.tx, table)
	r.cols[table] = cols
	return cols, err
}

// unchanged reports whether every row the merge left is still as it left
// it, no row it deleted is back and every row it inserted is still there:
// an unmerge over later changes would undo them without a word.
func (r *restorer) unchanged(rec *mergeRecord) (bool, error) {
	for _, t := range rec.Tables {
		for i, after := range t.After {
			now, err := currentRow(r.ctx, r.tx, r.keys, t.Table, t.Updated[i])
			if err != nil {
				return false, err
			}
			if same, err := sameJSON(r.ctx, r.tx, now, after); err != nil || !same {
				return false, err
			}
		}
		for _, row := range t.Deleted {
			if now, err := currentRow(r.ctx, r.tx, r.keys, t.Table, row); err != nil || now != nil {
				return false, err
			}
		}
		for _, row := range t.Inserted {
			now, err := currentRow(r.ctx, r.tx, r.keys, t.Table, row)
			if err != nil {
				return false, err
			}
			if same, err := sameJSON(r.ctx, r.tx, now, row); err != nil || !same {
				return false, err
			}
		}
	}
	return true, nil
}

// restore puts every row back: first the rows the merge inserted are
// removed (they hold keys the restored rows need), then table by table,
// parents first, the columns the merge set are set back (not what triggers
// derived from them, an enrolment's mark counters: the triggers follow the
// marks as they come back) and the deleted rows inserted again; last, every
// row is set once more to all its captured values, which undoes what the
// triggers added for the rows inserted whole (an enrolment inserted with
// its counters, then counted again as each of its marks comes back).
func (r *restorer) restore(rec *mergeRecord) error {
	for _, t := range rec.Tables {
		for _, row := range t.Inserted {
			if err := r.exec(t.Table, `DELETE FROM %[1]s WHERE %[3]s`, row); err != nil {
				return err
			}
		}
	}
	for _, t := range rec.Tables {
		for _, row := range t.Updated {
			if len(t.Set) == 0 {
				break // rows kept only for what triggers derive in them: the last pass
			}
			if err := r.execColumns(t.Table, t.Set, restoreSQL, row); err != nil {
				return err
			}
		}
		for _, row := range t.Deleted {
			if err := r.exec(t.Table, `INSERT INTO %[1]s (%[2]s) SELECT %[2]s FROM jsonb_populate_record(NULL::%[1]s, $1)`, row); err != nil {
				return err
			}
		}
	}
	for _, t := range rec.Tables {
		for _, row := range append(slices.Clone(t.Updated), t.Deleted...) {
			if err := r.exec(t.Table, restoreSQL, row); err != nil {
				return err
			}
		}
	}
	return nil
}

// restoreSQL sets a row's columns back to their captured values.
const restoreSQL = `UPDATE %[1]s SET (%[2]s) = (SELECT %[2]s FROM jsonb_populate_record(NULL::%[1]s, $1)) WHERE %[3]s`

// exec runs format (%[1]s the table, %[2]s its columns, %[3]s the clause
// naming row by its primary key) with row as $1.
func (r *restorer) exec(table, format string, row json.RawMessage) error {
	cols, err := r.columns(table)
	if err != nil {
		return err
	}
	return r.execColumns(table, cols, format, row)
}

// execColumns is exec over the columns cols.
func (r *restorer) execColumns(table string, cols []string, format string, row json.RawMessage) error {
	key, err := primaryKey(r.ctx, r.tx, r.keys, table)
	if err != nil {
		return err
	}
	q := fmt.Sprintf(format, pq.QuoteIdentifier(table), quoteAll(cols), byKey(table, key))
	if _, err := r.tx.ExecContext(r.ctx, q, string(row)); err != nil {
		return mapError(fmt.Errorf("unmerge %s: %w", table, err))
	}
	return nil
}

// references lists the columns of other tables that point at table's id
// (foreign keys, read from the catalogue: a table added later is found),
// except those of the tables in skip, which the merge handles itself.
func references(ctx context.Context, q sqlx.QueryerContext, table string, skip ...string) ([]reference, error) {
	const query = `SELECT c.conrelid::regclass::text AS "table", a.attname AS "column"
	  FROM pg_constraint c
	  CROSS JOIN LATERAL unnest(c.conkey, c.confkey) AS k (col, fcol)
	  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.col
	  JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = k.fcol
	 WHERE c.contype = 'f' AND c.confrelid = $1::regclass AND fa.attname = 'id'
	 ORDER BY 1, 2`
	var refs []reference
	if err := sqlx.SelectContext(ctx, q, &refs, query, table); err != nil {
		return nil, mapError(fmt.Errorf("references to %s: %w", table, err))
	}
	return slices.DeleteFunc(refs, func(r reference) bool { return slices.Contains(skip, r.Table) }), nil
}

// reference is a column that points at another table's id.
type reference struct {
	Table  string `db:"table"`
	Column string `db:"column"`
}

// repoint moves every row that references from to to, in every table
// refs lists, keeping the rows as they were.
func (c *capture) repoint(refs []reference, from, to int64) error {
	for _, ref := range refs {
		where := "t." + pq.QuoteIdentifier(ref.Column) + " = $1"
		if _, err := c.update(ref.Table, where, []any{from}, []string{ref.Column}, to); err != nil {
			return err
		}
	}
	return nil
}
