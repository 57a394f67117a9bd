package repository_test

import (
	"bytes"
	"fmt"
	"sync/atomic"
	"testing"

	"takaffoul/domain"
	"takaffoul/repository"
)

// A job's end is written in its own transaction: a reader that polls the
// job as it ends sees it running, then done (or refused), never failed
// because its transaction was gone before its end was written (the bench
// caught one of two previews marked failed so, when the end was written
// after the rollback).
func TestAJobPolledAsItEndsIsNeverSeenFailed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	user := &domain.User{Email: "jobs@repo.ma", Name: "Jobs", Role: domain.RoleCoordinator}
	must(t, f.store.CreateUser(f.ctx, user, "a-long-password-jobs", nil))
	good := fmt.Sprintf("Nom,Catégorie,Sexe,Organisme\nAmina,Acteur institutionnel,Femme,%d\n", f.institution.ID)
	bad := "Nom,Catégorie,Sexe\nAmina,Acteur institutionnel,Xyz\n"
	parse := func(file []byte, progress func(int)) *domain.ImportFile {
		return domain.ParseImport(bytes.NewReader(file), "l.csv")
	}
	for i := 0; i < 30; i++ {
		file, want, dry := good, repository.ImportDone, i%3 != 0
		if i%5 == 0 {
			file, want = bad, repository.ImportRefused
		}
		opts := repository.ImportOptions{DryRun: dry, Scope: repository.AllCourses()}
		id, err := f.store.CreateImportJob(f.ctx, repository.NewImportJob{Filename: "l.csv", File: []byte(file), Options: opts}, &user.ID)
		must(t, err)
		var stop atomic.Bool
		seen := make(chan string, 1)
		go func() {
			last := ""
			for !stop.Load() {
				job, err := f.store.ImportJob(f.ctx, id, user.ID)
				if err != nil {
					break
				}
				if last = job.Status; last != repository.ImportRunning {
					break
				}
			}
			seen <- last
		}()
		_, _ = f.store.RunImportJob(f.ctx, id, opts, parse, &user.ID)
		stop.Store(true)
		<-seen
		job, err := f.store.ImportJob(f.ctx, id, user.ID)
		must(t, err)
		if job.Status != want {
			t.Fatalf("job %d (dry run %v): %s, want %s", i, dry, job.Status, want)
		}
	}
	var imports int
	must(t, f.store.DB().Get(&imports, `SELECT count(*) FROM audit_log WHERE action = 'trainees.import'`))
	if imports != 8 {
		t.Fatalf("8 jobs committed, %d imports audited", imports)
	}
}
