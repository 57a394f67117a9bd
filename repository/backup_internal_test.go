package repository

import (
	"net/url"
	"strings"
	"testing"
)

// The URL handed to pg_dump and pg_restore keeps what libpq reads: spaces in
// options as %20 (libpq does not read "+" as a space), a literal plus as
// itself, the password in the environment, lib/pq's own options gone.
func TestLibpqConnectionKeepsOptionsLibpqReads(t *testing.T) {
	dsn := "postgres://me:s%20cret@db:5432/takaffoul?sslmode=disable&binary_parameters=yes" +
		"&options=-c%20statement_timeout%3D0&application_name=a%2Bb"
	conninfo, env := libpqConnection(dsn)
	u, err := url.Parse(conninfo)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Query().Get("options"); got != "-c statement_timeout=0" {
		t.Errorf("options: %q", got)
	}
	if got := u.RawQuery; strings.Contains(got, "+") {
		t.Errorf("a space or plus left as '+', which libpq reads as a plus: %q", got)
	}
	if got := u.Query().Get("application_name"); got != "a+b" {
		t.Errorf("application_name: %q", got)
	}
	if u.Query().Has("binary_parameters") {
		t.Errorf("lib/pq's own option handed to libpq: %q", conninfo)
	}
	if len(env) != 1 || env[0] != "PGPASSWORD=s cret" {
		t.Errorf("env: %q", env)
	}
	if _, hasPassword := u.User.Password(); hasPassword {
		t.Errorf("the password is in the URL: %q", conninfo)
	}
}
