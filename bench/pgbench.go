package main

import (
	"fmt"
	"net/url"
	"os/exec"
	"regexp"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The enrolment load is compared with what PostgreSQL itself commits on the
// same machine at the same moment: pgbench's built-in simple-update script
// (-N: one update, one select, one insert per transaction, no contended
// branch row), with as many clients as the load has connections. Machines
// differ and this one is shared: a ratio measured in one run travels, an
// absolute figure does not.

var pgbenchTPSLine = regexp.MustCompile(`(?m)^tps = ([0-9.]+)`)

// pgbenchTPS initialises the scratch database and runs `pgbench -N` with
// `clients` clients for d; it answers transactions per second.
func (b *bench) pgbenchTPS(clients int, d time.Duration) (float64, error) {
	pgbenchDatabase := b.o.database + "_pgbench" // a scratch database, initialised here
	admin, err := sqlx.Open("postgres", b.o.server)
	if err != nil {
		return 0, err
	}
	defer admin.Close()
	for _, q := range []string{`DROP DATABASE IF EXISTS ` + pq.QuoteIdentifier(pgbenchDatabase) + ` WITH (FORCE)`,
		`CREATE DATABASE ` + pq.QuoteIdentifier(pgbenchDatabase)} {
		if _, err := admin.Exec(q); err != nil {
			return 0, fmt.Errorf("pgbench database: %w", err)
		}
	}
	defer admin.Exec(`DROP DATABASE IF EXISTS ` + pq.QuoteIdentifier(pgbenchDatabase) + ` WITH (FORCE)`)
	u, err := url.Parse(b.o.server)
	if err != nil {
		return 0, err
	}
	u.Path = "/" + pgbenchDatabase
	dsn := u.String()
	if out, err := exec.Command("pgbench", "-i", "-q", dsn).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("pgbench -i (apt-get install postgresql-contrib): %v: %s", err, out)
	}
	out, err := exec.Command("pgbench", "-N", "-c", strconv.Itoa(clients), "-j", "2",
		"-T", strconv.Itoa(int(d.Seconds())), dsn).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("pgbench: %v: %s", err, out)
	}
	m := pgbenchTPSLine.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("no tps in pgbench's output: %s", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}
