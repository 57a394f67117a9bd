package repository_test

import (
	"testing"

	"takaffoul/repository"
)

// Every connection asks lib/pq for one round trip per parameterised
// statement, whatever form the DATABASE_URL takes, unless it says otherwise.
func TestConnectionsAskForOneRoundTrip(t *testing.T) {
	for dsn, want := range map[string]string{
		"postgres://u:p@db:5432/takaffoul?sslmode=disable": "postgres://u:p@db:5432/takaffoul?binary_parameters=yes&sslmode=disable",
		"postgresql://db/takaffoul":                        "postgresql://db/takaffoul?binary_parameters=yes",
		"host=db dbname=takaffoul sslmode=disable":         "host=db dbname=takaffoul sslmode=disable binary_parameters=yes",
		"postgres://db/takaffoul?binary_parameters=no":     "postgres://db/takaffoul?binary_parameters=no",
		"host=db dbname=takaffoul binary_parameters=no":    "host=db dbname=takaffoul binary_parameters=no",
	} {
		if got := repository.WithOneRoundTrip(dsn); got != want {
			t.Errorf("%s: got %s, want %s", dsn, got, want)
		}
	}
}
