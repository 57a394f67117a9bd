package repository

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"takaffoul/migrations"
)

// newMigrator builds a goose provider over the embedded migration files.
// A PostgreSQL advisory lock makes instances that start together migrate
// one after the other.
func (s *Store) newMigrator() (*goose.Provider, error) {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, s.db.DB, migrations.FS, goose.WithSessionLocker(locker))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// Migrate brings the schema up to the latest version.
func (s *Store) Migrate(ctx context.Context) error {
	p, err := s.newMigrator()
	if err != nil {
		return err
	}
	results, err := p.Up(ctx)
	for _, r := range results {
		slog.Info("migration applied", "version", r.Source.Version, "duration", r.Duration)
	}
	if err != nil {
		return fmt.Errorf("migrate up: %w", err)
	}
	return nil
}

// MigrationStatus writes one line per migration: version, file, applied or pending.
func (s *Store) MigrationStatus(ctx context.Context, w io.Writer) error {
	p, err := s.newMigrator()
	if err != nil {
		return err
	}
	statuses, err := p.Status(ctx)
	if err != nil {
		return fmt.Errorf("migration status: %w", err)
	}
	for _, st := range statuses {
		applied := "pending"
		if st.State != goose.StatePending {
			applied = "applied " + st.AppliedAt.UTC().Format("2006-01-02 15:04:05 UTC")
		}
		fmt.Fprintf(w, "%5d  %-40s %s\n", st.Source.Version, st.Source.Path, applied)
	}
	return nil
}
