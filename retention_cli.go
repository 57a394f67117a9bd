package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"time"

	"takaffoul/repository"
)

// retentionPolicy is the retention policy of the configuration
// (docs/SECURITY.md, "Retention"): RETENTION_CHILD_YEARS (default 2) and
// RETENTION_SCAN_YEARS (default 5); 0 keeps for ever.
func retentionPolicy() (repository.RetentionPolicy, error) {
	child, err := yearsSetting("RETENTION_CHILD_YEARS", 2)
	if err != nil {
		return repository.RetentionPolicy{}, err
	}
	scan, err := yearsSetting("RETENTION_SCAN_YEARS", 5)
	return repository.RetentionPolicy{ChildYears: child, ScanYears: scan}, err
}

func yearsSetting(name string, fallback int) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return fallback, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 100 {
		return 0, fmt.Errorf("%s: %q is not a number of years (0 keeps for ever)", name, v)
	}
	return n, nil
}

// retentionCommand: "retention" lists what the policy would do today
// (a dry run, the default); -apply does it.
func retentionCommand(args []string) error {
	fs := newFlags("retention", "retention [-apply]  (a dry run unless -apply)")
	apply := fs.Bool("apply", false, "do it (default: only list what would be done)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	policy, err := retentionPolicy()
	if err != nil {
		return err
	}
	ctx := context.Background()
	db, err := openDatabase(ctx, true)
	if err != nil {
		return err
	}
	defer db.close()
	return runRetention(ctx, db.store, policy, time.Now(), *apply, os.Stdout)
}

// runRetention lists the policy's actions at now, or applies them, on w.
func runRetention(ctx context.Context, store *repository.Store, p repository.RetentionPolicy, now time.Time, apply bool, w io.Writer) error {
	fmt.Fprintf(w, "policy: children anonymised %d years after their last course, consent scans deleted after %d years (0: never)\n",
		p.ChildYears, p.ScanYears)
	var actions []repository.RetentionAction
	var err error
	if apply {
		actions, err = store.ApplyRetention(ctx, p, now, nil)
	} else {
		actions, err = store.RetentionPlan(ctx, p, now)
	}
	if err != nil {
		return err
	}
	for _, a := range actions {
		fmt.Fprintln(w, a.String())
	}
	people, scans := retentionCounts(actions)
	if apply {
		fmt.Fprintf(w, "done: %d people anonymised, %d scans deleted\n", people, scans)
	} else {
		fmt.Fprintf(w, "dry run: %d people to anonymise, %d scans to delete; nothing changed (run with -apply to do it)\n", people, scans)
	}
	return nil
}

func retentionCounts(actions []repository.RetentionAction) (people, scans int) {
	for _, a := range actions {
		if a.Kind == "anonymise" {
			people++
		} else {
			scans++
		}
	}
	return people, scans
}

// retentionInterval: the server applies the policy once a day.
const retentionInterval = 24 * time.Hour

// applyRetentionDaily runs the policy at start and then daily until ctx
// ends, logging the counts (never who). It applies the policy only when
// autoApply is set (RETENTION_APPLY=daily): anonymising is irreversible, so
// a server upgraded over years of records, or restarted after seed demo,
// must not do it before someone has read the dry run and decided. Until
// then it logs what a run would do.
func applyRetentionDaily(ctx context.Context, store *repository.Store, p repository.RetentionPolicy, autoApply bool, log *slog.Logger) {
	tick := time.NewTicker(retentionInterval)
	defer tick.Stop()
	for {
		retentionRound(ctx, store, p, autoApply, log)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func retentionRound(ctx context.Context, store *repository.Store, p repository.RetentionPolicy, autoApply bool, log *slog.Logger) {
	var actions []repository.RetentionAction
	var err error
	if autoApply {
		actions, err = store.ApplyRetention(ctx, p, time.Now(), nil)
	} else {
		actions, err = store.RetentionPlan(ctx, p, time.Now())
	}
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("the retention policy", "error", err)
		}
		return
	}
	people, scans := retentionCounts(actions)
	switch {
	case autoApply:
		log.Info("retention policy applied", "anonymised", people, "scans_deleted", scans, "child_years", p.ChildYears, "scan_years", p.ScanYears)
	case people+scans > 0:
		log.Info("retention policy not applied (set RETENTION_APPLY=daily to apply it)",
			"anonymised", people, "scans_deleted", scans, "child_years", p.ChildYears, "scan_years", p.ScanYears)
	}
}

// retentionAutoApply reads RETENTION_APPLY: "daily" lets the server apply
// the policy; empty or "off" keeps it to the command.
func retentionAutoApply() (bool, error) {
	switch v := os.Getenv("RETENTION_APPLY"); v {
	case "daily":
		return true, nil
	case "", "off":
		return false, nil
	default:
		return false, fmt.Errorf("RETENTION_APPLY: %q is neither daily nor off", v)
	}
}
