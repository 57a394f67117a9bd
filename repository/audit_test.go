package repository_test

import (
	"testing"

	"takaffoul/domain"
	"takaffoul/repository"
)

// Every change a user makes is audited as theirs (the store method's last
// argument, by) in the same transaction as the change: the audit entry and
// the row it is about carry the same transaction id (xmin). Each case runs
// one store method and names the row it wrote.
func TestEveryChangeIsAuditedAsItsActorsInItsTransaction(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	actor := &domain.User{Email: "coordinator@audit.ma", Name: "Coordinator", Role: domain.RoleCoordinator}
	must(t, f.store.CreateUser(f.ctx, actor, "a-long-enough-password", nil))
	by := &actor.ID
	trainer := &domain.User{Email: "trainer@audit.ma", Name: "Trainer", Role: domain.RoleTrainer}
	person := f.institutionalActor("Nadia Alami")
	var figure domain.ReportedFigure
	var mergeID int64
	for _, c := range []struct {
		action string
		change func() (table string, id int64, err error)
	}{
		{"user.create", func() (string, int64, error) {
			return "users", trainer.ID, f.store.CreateUser(f.ctx, trainer, "another-long-password", by)
		}},
		{"user.role", func() (string, int64, error) {
			return "users", trainer.ID, f.store.SetUserRole(f.ctx, trainer.ID, domain.RoleTrainer, by)
		}},
		{"programme.create", func() (string, int64, error) {
			p := domain.Programme{Code: "audited", NameAr: "برنامج", NameFr: "Programme", NameEn: "Programme", StartYear: 2024, EndYear: 2025}
			err := f.store.CreateProgramme(f.ctx, &p, by)
			return "programmes", p.ID, err
		}},
		{"course.create", func() (string, int64, error) {
			c := domain.Course{ProgrammeID: f.programme.ID, Code: "AUDITED", TitleAr: "دورة", TitleFr: "Formation", Year: 2019,
				Province: "rabat", StartDate: date("2019-04-01"), EndDate: date("2019-04-30"), Capacity: 10}
			err := f.store.CreateCourse(f.ctx, &c, by)
			return "courses", c.ID, err
		}},
		{"course.update", func() (string, int64, error) {
			c := f.course
			c.Capacity = 41
			return "courses", c.ID, f.store.UpdateCourse(f.ctx, &c, by)
		}},
		{"sessions.create", func() (string, int64, error) {
			s := []domain.Session{f.session}
			s[0].ID = 0
			err := f.store.CreateSessions(f.ctx, f.course.ID, s, by)
			return "sessions", s[0].ID, err
		}},
		{"course.assign_trainer", func() (string, int64, error) {
			return "course_trainers", trainer.ID, f.store.AssignTrainer(f.ctx, f.course.ID, trainer.ID, by)
		}},
		{"organisation.create", func() (string, int64, error) {
			o := domain.Organisation{Kind: domain.Association, NameFr: ptr("Association auditée")}
			err := f.store.CreateOrganisation(f.ctx, &o, by)
			return "organisations", o.ID, err
		}},
		{"trainee.create", func() (string, int64, error) {
			return "trainees", person.ID, f.store.CreateTrainee(f.ctx, person, by)
		}},
		{"trainee.update", func() (string, int64, error) {
			person.FullNameAr = ptr("نادية العلمي")
			return "trainees", person.ID, f.store.UpdateTrainee(f.ctx, person, repository.AllCourses(), by)
		}},
		{"enrollment.create", func() (string, int64, error) {
			e, err := f.store.Enroll(f.ctx, f.course.ID, person.ID, repository.EnrollOptions{}, by)
			if err != nil {
				return "", 0, err
			}
			return "enrollments", e.ID, nil
		}},
		{"enrollment.withdraw", func() (string, int64, error) {
			err := f.store.Withdraw(f.ctx, f.course.ID, person.ID, by)
			var id int64
			if err == nil {
				err = f.store.DB().Get(&id, `SELECT id FROM enrollments WHERE trainee_id = $1`, person.ID)
			}
			return "enrollments", id, err
		}},
		{"trainee.merge", func() (string, int64, error) {
			twin := f.institutionalActor("Nadia Alami")
			if err := f.store.CreateTrainee(f.ctx, twin, nil); err != nil {
				return "", 0, err
			}
			id, err := f.store.MergeTrainees(f.ctx, person.ID, twin.ID, by)
			mergeID = id
			return "merges", id, err
		}},
		{"trainee.unmerge", func() (string, int64, error) {
			return "merges", mergeID, f.store.Unmerge(f.ctx, mergeID, by)
		}},
		{"reported_figure.create", func() (string, int64, error) {
			figure = domain.ReportedFigure{Figure: "courses", Programme: f.programme.Code, Value: 2, Source: "Rapport 2019"}
			err := f.store.CreateReportedFigure(f.ctx, &figure, by)
			return "reported_figures", figure.ID, err
		}},
	} {
		table, id, err := c.change()
		if err != nil {
			t.Fatalf("%s: %v", c.action, err)
		}
		var audit struct {
			ActorID *int64 `db:"actor_id"`
			Same    bool   `db:"same"`
		}
		key := "id"
		if table == "course_trainers" { // no id of its own
			key = "user_id"
		}
		err = f.store.DB().Get(&audit, `SELECT a.actor_id, a.xmin::text = (SELECT xmin::text FROM `+table+` WHERE `+key+` = $2) AS same
			FROM audit_log a WHERE a.action = $1 ORDER BY a.id DESC LIMIT 1`, c.action, id)
		if err != nil {
			t.Errorf("%s: no audit entry: %v", c.action, err)
			continue
		}
		if audit.ActorID == nil || *audit.ActorID != actor.ID {
			t.Errorf("%s: audited as %v, want the acting user %d", c.action, audit.ActorID, actor.ID)
		}
		if !audit.Same {
			t.Errorf("%s: the audit entry and the %s row %d were written in different transactions", c.action, table, id)
		}
	}

	// A deletion leaves no row to compare with: its entry says what was
	// deleted, and by whom.
	must(t, f.store.DeleteReportedFigure(f.ctx, figure.ID, by))
	var deleted struct {
		ActorID *int64 `db:"actor_id"`
		Source  string `db:"source"`
	}
	must(t, f.store.DB().Get(&deleted, `SELECT actor_id, before->>'source' AS source FROM audit_log
		WHERE action = 'reported_figure.delete' AND entity_id = $1`, figure.ID))
	if deleted.ActorID == nil || *deleted.ActorID != actor.ID || deleted.Source != "Rapport 2019" {
		t.Errorf("reported_figure.delete: %+v", deleted)
	}
}

// An audit entry's actor is a user because users are never deleted (the
// log has no key check on its actor: migration 00040): deleting one, with
// or without a history, is refused, and the account stays; so is emptying
// the table.
func TestUsersAreNeverDeleted(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, u := range []*domain.User{
		{Email: "quiet@audit.ma", Name: "No history", Role: domain.RoleTrainer},
		{Email: "busy@audit.ma", Name: "With history", Role: domain.RoleCoordinator},
	} {
		must(t, f.store.CreateUser(f.ctx, u, "a-long-enough-password", f.importerID()))
		if u.Role == domain.RoleCoordinator {
			must(t, f.store.CreateTrainee(f.ctx, f.institutionalActor("Signed By Busy"), &u.ID))
		}
		if _, err := f.store.DB().ExecContext(f.ctx, `DELETE FROM users WHERE id = $1`, u.ID); err == nil {
			t.Errorf("%s: deleted", u.Email)
		}
		var kept bool
		must(t, f.store.DB().GetContext(f.ctx, &kept, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)`, u.ID))
		if !kept {
			t.Errorf("%s: gone", u.Email)
		}
	}
	if _, err := f.store.DB().ExecContext(f.ctx, `TRUNCATE users CASCADE`); err == nil {
		t.Error("users truncated")
	}
}
