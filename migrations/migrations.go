// Package migrations holds the database schema as numbered goose SQL files,
// embedded into the binary so that every command migrates the same way.
package migrations

import "embed"

// FS is the set of migration files, read by repository.Migrate.
//
//go:embed *.sql
var FS embed.FS
