package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"filippo.io/age"
	"golang.org/x/term"

	"takaffoul/repository"
)

// A backup is pg_dump's custom format, optionally encrypted to age
// recipients: it holds minors' data, so a copy kept off the server should
// be readable only with the identity kept apart from it.

const (
	ageHeader  = "age-encryption.org/v1\n" // how an age file begins
	pgdmpMagic = "PGDMP"                   // how a custom-format archive begins
)

// backupCommand: "backup [-recipient age1…] FILE|-".
func backupCommand(args []string) error {
	fs := newFlags("backup", "backup [-recipient age1…] FILE|-  (FILE - is stdout)")
	var recipients []string
	fs.Func("recipient", "encrypt to this age recipient (age1…); repeat for several; default: $BACKUP_RECIPIENT", func(s string) error {
		recipients = append(recipients, s)
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: takaffoul backup [-recipient age1…] FILE (or - for stdout)")
	}
	if len(recipients) == 0 {
		recipients = splitList(os.Getenv("BACKUP_RECIPIENT"))
	}
	parsed, err := parseRecipients(recipients)
	if err != nil {
		return err
	}
	file := fs.Arg(0)
	if file == "-" && term.IsTerminal(int(os.Stdout.Fd())) {
		return errors.New("refusing to write a backup to the terminal: give a FILE or redirect stdout")
	}
	ctx := context.Background()
	db, err := startDatabase()
	if err != nil {
		return err
	}
	defer db.close()
	written, err := writeBackup(ctx, db, file, parsed)
	if err != nil {
		return err
	}
	report := os.Stdout
	if file == "-" {
		report = os.Stderr // stdout is the backup
	}
	how := "NOT encrypted: keep it as safely as the database itself"
	if len(parsed) > 0 {
		how = fmt.Sprintf("encrypted to %d age recipient(s)", len(parsed))
	}
	fmt.Fprintf(report, "backup written to %s (%d bytes, %s)\n", file, written, how)
	return nil
}

// writeBackup writes the backup to file (stdout for -). A file is written
// beside its final name and renamed once complete, so that FILE is never
// a truncated backup.
func writeBackup(ctx context.Context, db *database, file string, recipients []age.Recipient) (int64, error) {
	if file == "-" {
		counter := &countingWriter{w: os.Stdout}
		err := dumpTo(ctx, db, counter, recipients)
		return counter.n, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".partial-*")
	if err != nil {
		return 0, fmt.Errorf("backup file: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	counter := &countingWriter{w: tmp}
	if err := dumpTo(ctx, db, counter, recipients); err != nil {
		tmp.Close()
		return 0, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return 0, fmt.Errorf("backup file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return 0, fmt.Errorf("backup file: %w", err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return 0, fmt.Errorf("backup file: %w", err)
	}
	return counter.n, nil
}

// dumpTo runs pg_dump into w, through age when there are recipients.
func dumpTo(ctx context.Context, db *database, w io.Writer, recipients []age.Recipient) error {
	out, finish := w, func() error { return nil }
	if len(recipients) > 0 {
		enc, err := age.Encrypt(w, recipients...)
		if err != nil {
			return fmt.Errorf("encrypt the backup: %w", err)
		}
		out, finish = enc, enc.Close
	}
	if err := repository.Backup(ctx, db.dsn, out, repository.BackupOptions{BinDir: db.binDir()}); err != nil {
		return err
	}
	return finish()
}

func parseRecipients(list []string) ([]age.Recipient, error) {
	var out []age.Recipient
	for _, s := range list {
		r, err := age.ParseX25519Recipient(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("invalid age recipient %q (want age1…, from age-keygen -y): %v", s, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// restoreCommand: "restore [-identity FILE] [-force] FILE|-".
func restoreCommand(args []string) error {
	fs := newFlags("restore", "restore [-identity FILE] [-force] FILE|-  (FILE - is stdin)")
	identityFile := fs.String("identity", "", "age identity file (AGE-SECRET-KEY-1…) to decrypt an encrypted backup")
	force := fs.Bool("force", false, "replace a database that holds data (everything in it is lost)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: takaffoul restore [-identity FILE] [-force] FILE (or - for stdin)")
	}
	in, closeIn, err := openBackup(fs.Arg(0))
	if err != nil {
		return err
	}
	defer closeIn()
	archive, err := decryptedArchive(in, *identityFile)
	if err != nil {
		return err
	}
	ctx := context.Background()
	db, err := startDatabase()
	if err != nil {
		return err
	}
	defer db.close()
	report, err := repository.Restore(ctx, db.dsn, archive, repository.RestoreOptions{BinDir: db.binDir(), Force: *force})
	if err != nil {
		return describeRestoreError(err)
	}
	printRestoreReport(os.Stdout, report)
	return nil
}

func openBackup(name string) (io.Reader, func(), error) {
	if name == "-" {
		return os.Stdin, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, fmt.Errorf("backup file: %w", err)
	}
	return f, func() { f.Close() }, nil
}

// decryptedArchive looks at how the backup begins: an age file is
// decrypted with the identity, an archive is read as it is, anything else
// is refused before the database is touched.
func decryptedArchive(in io.Reader, identityFile string) (io.Reader, error) {
	br := bufio.NewReader(in)
	head, _ := br.Peek(len(ageHeader))
	switch {
	case bytes.HasPrefix(head, []byte(ageHeader)):
		if identityFile == "" {
			return nil, errors.New("this backup is encrypted: pass -identity FILE, the age identity it was encrypted to")
		}
		ids, err := readIdentities(identityFile)
		if err != nil {
			return nil, err
		}
		r, err := age.Decrypt(br, ids...)
		if err != nil {
			return nil, fmt.Errorf("cannot decrypt the backup with %s: %v", identityFile, err)
		}
		return r, nil
	case bytes.HasPrefix(head, []byte(pgdmpMagic)):
		return br, nil
	}
	return nil, errors.New("this is not a Takaffoul backup (neither a pg_dump custom-format archive nor an age-encrypted one)")
}

func readIdentities(file string) ([]age.Identity, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("identity file: %w", err)
	}
	defer f.Close()
	ids, err := age.ParseIdentities(f)
	if err != nil {
		return nil, fmt.Errorf("identity file %s: %v", file, err)
	}
	return ids, nil
}

// describeRestoreError keeps the repository's message, which says what to do.
func describeRestoreError(err error) error {
	if errors.Is(err, repository.ErrDatabaseHoldsData) || errors.Is(err, repository.ErrDatabaseInUse) {
		return fmt.Errorf("restore refused, nothing changed: %v", err)
	}
	return err
}

// printRestoreReport lists the tables restored, the largest first.
func printRestoreReport(w io.Writer, r *repository.RestoreReport) {
	tables := make([]string, 0, len(r.Rows))
	var total int64
	for t, n := range r.Rows {
		tables = append(tables, t)
		total += n
	}
	sort.Slice(tables, func(i, j int) bool { return r.Rows[tables[i]] > r.Rows[tables[j]] })
	replaced := ""
	if r.Replaced {
		replaced = " (its previous contents replaced)"
	}
	fmt.Fprintf(w, "restored and migrated%s: %d tables, %d rows\n", replaced, len(tables), total)
	for _, t := range tables {
		if r.Rows[t] > 0 {
			fmt.Fprintf(w, "  %-32s %d\n", strings.TrimPrefix(t, "public."), r.Rows[t])
		}
	}
}

// binDir is the embedded server's own programs (pg_dump of its version),
// or "" to look for them.
func (d *database) binDir() string {
	if d.embedded != nil {
		return d.embedded.BinDir
	}
	return ""
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
