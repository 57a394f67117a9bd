package app_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"takaffoul/domain"
	"takaffoul/repository"
)

// updateGolden rewrites the golden files from what the code writes today:
//
//	go test ./app/ -run TestExportFilesAreByteForByteTheGoldenOnes -update-golden
var updateGolden = flag.Bool("update-golden", false, "rewrite app/testdata/exports/*")

// TestExportFilesAreByteForByteTheGoldenOnes downloads every kind of export
// (attendance and matrix, CSV and XLSX, in Arabic, French and English, with
// machine keys, semicolons and filters) from a fixed world and compares the
// bytes with files written by the code before issue 13 moved the exports'
// presentation out of the repository: a user must not see a byte change.
// A deliberate change of the files regenerates them with -update-golden.
func TestExportFilesAreByteForByteTheGoldenOnes(t *testing.T) {
	t.Parallel()
	env := newExportEnv(t)
	ctx := context.Background()
	store := env.store
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	english, _ := bearerClient(t, env, "english@exports.ma", domain.RoleCoordinator, "en")

	// More of what an export shows: a second session, a child with no
	// organisation and no Latin name, a withdrawn trainee, every status.
	second := time.Date(2019, 3, 12, 14, 30, 0, 0, time.UTC)
	sessions := []domain.Session{{StartsAt: second, EndsAt: second.Add(2 * time.Hour), Place: "Salle 2", Hours: 2}}
	must(store.CreateSessions(ctx, env.course.ID, sessions, nil))
	child := domain.Trainee{Category: domain.ChildParliamentarian, FullNameAr: ptr("يوسف العلوي"), Sex: domain.Male,
		BirthYear: ptr(2010), GuardianConsent: true, ConsentMethod: domain.ConsentBeforeRecords}
	_, err := store.EnrollNew(ctx, env.course.ID, &child, repository.EnrollOptions{}, nil)
	must(err)
	leaver := domain.Trainee{Category: domain.AssociativeActor, FullNameLatin: ptr("Said Leaver"), Sex: domain.Male,
		OrganisationID: &env.association.ID}
	_, err = store.EnrollNew(ctx, env.course.ID, &leaver, repository.EnrollOptions{}, nil)
	must(err)
	_, err = store.DB().Exec(`UPDATE enrollments SET status = 'withdrawn' WHERE trainee_id = $1`, leaver.ID)
	must(err)
	marks := []repository.Mark{{TraineeID: env.trainee.ID, Status: domain.Late}, {TraineeID: child.ID, Status: domain.Excused},
		{TraineeID: env.hostile.ID, Status: domain.Present}}
	must(store.SaveAttendance(ctx, sessions[0].ID, marks, &env.trainerID))
	// Marks carry the time they were taken: fix it, so that the files are too.
	_, err = store.DB().Exec(`UPDATE attendance SET marked_at = '2019-03-12 16:45:00+00'`)
	must(err)

	course := env.course.ID
	cases := []struct {
		file   string
		client *client
		target string
	}{
		{"attendance_fr.csv", env.coordinator, "/exports/attendance.csv"},
		{"attendance_fr_keys.csv", env.coordinator, "/exports/attendance.csv?header=keys"},
		{"attendance_fr_semicolon.csv", env.coordinator, "/exports/attendance.csv?separator=semicolon"},
		{"attendance_fr_filtered.csv", env.coordinator, "/exports/attendance.csv?programme=child-protection&province=rabat&from=2019-03-06&to=2019-03-30&category=institutional_actor"},
		{"attendance_fr_session.csv", env.coordinator, fmt.Sprintf("/exports/attendance.csv?session=%d", sessions[0].ID)},
		{"attendance_fr.xlsx", env.coordinator, "/exports/attendance.xlsx"},
		{"attendance_ar.csv", env.trainer, "/exports/attendance.csv"},
		{"attendance_ar.xlsx", env.trainer, fmt.Sprintf("/exports/attendance.xlsx?course=%d", course)},
		{"attendance_en.csv", english, "/exports/attendance.csv"},
		{"matrix_fr.csv", env.coordinator, fmt.Sprintf("/courses/%d/matrix.csv", course)},
		{"matrix_fr_keys.csv", env.coordinator, fmt.Sprintf("/courses/%d/matrix.csv?header=keys", course)},
		{"matrix_fr.xlsx", env.coordinator, fmt.Sprintf("/courses/%d/matrix.xlsx", course)},
		{"matrix_ar.csv", env.trainer, fmt.Sprintf("/courses/%d/matrix.csv", course)},
		{"matrix_ar.xlsx", env.trainer, fmt.Sprintf("/courses/%d/matrix.xlsx", course)},
		{"matrix_en.csv", english, fmt.Sprintf("/courses/%d/matrix.csv", course)},
		{"matrix_other_fr.csv", env.coordinator, fmt.Sprintf("/courses/%d/matrix.csv", env.otherCourse.ID)},
	}
	for _, c := range cases {
		r := c.client.get(c.target)
		expectStatus(t, c.target, r, 200)
		path := filepath.Join("testdata", "exports", c.file)
		if *updateGolden {
			must(os.MkdirAll(filepath.Dir(path), 0o755))
			must(os.WriteFile(path, []byte(r.Body), 0o644))
			continue
		}
		want, err := os.ReadFile(path)
		must(err)
		if !bytes.Equal([]byte(r.Body), want) {
			t.Errorf("%s (%s): %d bytes differ from the golden file's %d; the first difference is at byte %d",
				c.file, c.target, len(r.Body), len(want), firstDifference([]byte(r.Body), want))
		}
	}
}

// bearerClient is a client of a new user with a token and a language.
func bearerClient(t *testing.T, env *exportEnv, email string, role domain.Role, lang string) (*client, *domain.User) {
	t.Helper()
	u := addUser(t, env.store, email, role)
	if err := env.store.SetUserLanguage(context.Background(), u.ID, lang); err != nil {
		t.Fatal(err)
	}
	return bearerClientOf(t, env, u)
}

// bearerClientOf is a client of u with a new token.
func bearerClientOf(t *testing.T, env *exportEnv, u *domain.User) (*client, *domain.User) {
	t.Helper()
	token, _, err := env.store.CreateAPIToken(context.Background(), u.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	cl := newClient(t, env.coordinator.app)
	cl.headers["Authorization"] = "Bearer " + token
	return cl, u
}

func firstDifference(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
