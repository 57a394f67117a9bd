package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"takaffoul/domain"
	"takaffoul/repository"
)

// A certificate agrees with its holder's sex in Arabic and in French: a
// woman "بصفتها فاعلة مؤسساتية، قد تابعت" and "Actrice institutionnelle",
// a man "بصفته فاعل مؤسساتي، قد تابع" and "Acteur institutionnel" (it read
// the masculine for everyone). The public verify page still shows the
// initials only: nothing that tells the sex.
func TestCertificateWordingAgreesWithTheHolderSex(t *testing.T) {
	t.Parallel()
	env := newCertEnv(t)
	ctx := context.Background()
	woman := domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr("Nadia Bennani"), Sex: domain.Female,
		OrganisationID: &env.institution.ID}
	man := domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr("Youssef Alami"), Sex: domain.Male,
		OrganisationID: &env.institution.ID}
	for _, p := range []*domain.Trainee{&woman, &man} {
		if _, err := env.store.EnrollNew(ctx, env.course.ID, p, repository.EnrollOptions{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	must(t, env.store.SaveAttendance(ctx, env.session.ID, []repository.Mark{
		{TraineeID: woman.ID, Status: domain.Present}, {TraineeID: man.ID, Status: domain.Present}}, nil))
	issue(t, env)
	certOf := map[int64]certificateJSON{}
	for _, c := range listCertificates(t, env) {
		certOf[c.TraineeID] = c
	}

	feminine := []string{"بصفتها فاعلة مؤسساتية،", "قد تابعت بمواظبة", "en qualité d’Actrice institutionnelle,"}
	masculine := []string{"بصفته فاعل مؤسساتي،", "قد تابع بمواظبة", "en qualité d’Acteur institutionnel,"}
	for _, tc := range []struct {
		who       domain.Trainee
		want, not []string
	}{{woman, feminine, masculine}, {man, masculine, feminine}} {
		cert, ok := certOf[tc.who.ID]
		if !ok {
			t.Fatalf("%s holds no certificate", *tc.who.FullNameLatin)
		}
		page := env.pages.get(fmt.Sprintf("/courses/%d/certificates/%d", env.course.ID, cert.ID))
		expectStatus(t, "certificate page", page, 200)
		for _, want := range tc.want {
			if !strings.Contains(page.Body, want) {
				t.Errorf("%s's certificate does not say %q:\n%s", *tc.who.FullNameLatin, want, textOf(page.Body, "cert"))
			}
		}
		for _, not := range tc.not {
			if strings.Contains(page.Body, not) {
				t.Errorf("%s's certificate says %q", *tc.who.FullNameLatin, not)
			}
		}

		verify := newClient(t, env.web).get("/verify/" + cert.Code)
		expectStatus(t, "verify page", verify, 200)
		for _, leak := range []string{"فاعل", "Actrice", "Acteur", "female", "male", "بصفت"} {
			if strings.Contains(verify.Body, leak) {
				t.Errorf("the verify page of %s says %q", *tc.who.FullNameLatin, leak)
			}
		}
	}
}
