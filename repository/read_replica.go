package repository

import (
	"context"
	"time"
)

// UseReadReplica sends the totals reads (the dashboard, the totals API and
// the totals exports all read through Totals) to a hot standby of the
// primary at dsn (DATABASE_READ_URL), so that they scale out on
// PostgreSQL's own replication. They can: a totals read writes nothing and
// takes no lock (totals_cube.go), and the journal it reads travels with
// the cube. Its figures are the primary's as of the standby's replay,
// usually a fraction of a second behind. Everything else stays on the
// primary.
func (s *Store) UseReadReplica(ctx context.Context, dsn string, pool PoolConfig) error {
	db, err := connect(ctx, dsn)
	if err != nil {
		return err
	}
	if pool.MaxOpen == 0 {
		pool.MaxOpen = 20
	}
	db.SetMaxOpenConns(pool.MaxOpen)
	db.SetMaxIdleConns(pool.MaxOpen)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if s.reads != nil {
		_ = s.reads.Close()
	}
	s.reads = &Store{db: db}
	return nil
}

// readStore is where the totals are read: the replica, else the primary.
func (s *Store) readStore() *Store {
	if s.reads != nil {
		return s.reads
	}
	return s
}
