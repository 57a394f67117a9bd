package app_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"takaffoul/domain"
	"takaffoul/repository"
	"takaffoul/repository/dbtest"
)

// world is dbtest's world as handler tests know it: a province, a programme, a
// course assigned to a trainer and one that is not, a session in each, an
// institution, an association and a trainee enrolled in the first course.
type world struct {
	store       *repository.Store
	programme   domain.Programme
	course      domain.Course // assigned to the trainer
	otherCourse domain.Course // assigned to nobody
	session     domain.Session
	otherSess   domain.Session
	institution domain.Organisation
	association domain.Organisation
	trainee     domain.Trainee // enrolled in course

	dw *dbtest.World
}

// newWorld builds dbtest's world (the one builder) as app's tests name it,
// assigns course to trainerID and enrols the trainee in it.
func newWorld(t *testing.T, store *repository.Store, trainerID int64) *world {
	t.Helper()
	dw := dbtest.NewWorld(t, store, dbtest.WorldNames{Courses: [2]string{"CP-1", "CP-2"}, Institution: "Centre multifonctionnel de Rabat"})
	w := &world{store: store, dw: dw, programme: dw.Programme, course: dw.Course, otherCourse: dw.OtherCourse,
		session: dw.Session, otherSess: dw.OtherSession, institution: dw.Institution, association: dw.Association}
	ctx := context.Background()
	if err := store.AssignTrainer(ctx, w.course.ID, trainerID, nil); err != nil {
		t.Fatal(err)
	}
	w.trainee = domain.Trainee{Category: domain.InstitutionalActor, FullNameAr: ptr("فاطمة الزهراء بنعلي"),
		FullNameLatin: ptr("Hélène Aït-Lahcen"), Sex: domain.Female, OrganisationID: &w.institution.ID}
	if _, err := store.EnrollNew(ctx, w.course.ID, &w.trainee, repository.EnrollOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) newCourse(t *testing.T, code string) domain.Course { return w.dw.NewCourse(t, code) }

func (w *world) newSession(t *testing.T, courseID int64) domain.Session {
	return w.dw.NewSession(t, courseID)
}

func ptr[T any](v T) *T { return &v }

// sendJSON sends a JSON body with the method given, as a browser script
// would: the session cookie and the CSRF token in X-CSRF-Token.
func (cl *client) sendJSON(method, target, body string) response {
	cl.t.Helper()
	if cl.token == "" {
		cl.get("/login")
	}
	cl.headers["X-CSRF-Token"] = cl.token
	cl.headers["Accept"] = "application/json"
	defer delete(cl.headers, "X-CSRF-Token")
	defer delete(cl.headers, "Accept")
	return cl.do(method, target, strings.NewReader(body), "application/json")
}

func urlQuery(s string) string { return url.QueryEscape(s) }
