package app

import (
	"time"

	"takaffoul/domain"
)

// traineeForm is the enrolment page's form that creates a person and
// enrols them (views/pages/courses/enrol.html). Its fields follow the
// category: an organisation for adults (views/static/enrol.js hides it for
// a child parliamentarian), a guardian's consent for children (hidden for
// adults). Without JavaScript every field is shown, and the server ignores
// the ones that do not apply: an organisation chosen for a child, a
// consent ticked for an adult. A phone, e-mail or CIN typed for a child is
// refused (the domain's rule), never silently kept.
type traineeForm struct {
	Category            domain.Category `form:"category"`
	FullNameAr          *string         `form:"full_name_ar"`
	FullNameLatin       *string         `form:"full_name_latin"`
	Sex                 domain.Sex      `form:"sex"`
	BirthYear           *int            `form:"birth_year"`
	OrganisationID      *int64          `form:"organisation_id"`
	NewOrganisationName *string         `form:"new_organisation_name"`
	Province            *string         `form:"province"`
	Phone               *string         `form:"phone"`
	Email               *string         `form:"email"`
	NationalID          *string         `form:"national_id"`
	GuardianConsent     bool            `form:"guardian_consent"`
	ConsentMethod       string          `form:"consent_method"`
	ConfirmNew          bool            `form:"confirm_new"`
	OverrideCapacity    bool            `form:"override_capacity"`
}

// newTraineeForm is the empty form: most people enrolled are institutional actors.
func newTraineeForm() *traineeForm { return &traineeForm{Category: domain.InstitutionalActor} }

// trainee is the person the form describes, with only the fields of their category.
func (f *traineeForm) trainee() *domain.Trainee {
	t := &domain.Trainee{Category: f.Category, FullNameAr: f.FullNameAr, FullNameLatin: f.FullNameLatin, Sex: f.Sex,
		BirthYear: f.BirthYear, Province: f.Province, Phone: f.Phone, Email: f.Email, NationalID: f.NationalID}
	if f.Category == domain.ChildParliamentarian {
		t.GuardianConsent, t.ConsentMethod = f.GuardianConsent, domain.UserConsentMethod(f.ConsentMethod)
	} else if f.OrganisationID != nil && *f.OrganisationID > 0 {
		t.OrganisationID = f.OrganisationID
	}
	return t
}

// newOrganisation is the organisation typed into the form when the
// person's is not in the list yet: of the kind their category needs (none
// for a child), created in the same transaction as the person and the
// enrolment. nil when an organisation was chosen or none typed.
func (f *traineeForm) newOrganisation(t *domain.Trainee) *domain.Organisation {
	kind := t.Category.OrganisationKind()
	if f.NewOrganisationName == nil || t.OrganisationID != nil || kind == "" {
		return nil
	}
	org := &domain.Organisation{Kind: kind, Province: t.Province}
	if isArabic(*f.NewOrganisationName) {
		org.NameAr = f.NewOrganisationName
	} else {
		org.NameFr = f.NewOrganisationName
	}
	return org
}

// validate checks the person and the organisation typed with them, each
// problem on the field of the form that shows it (an organisation's name,
// in whichever script, is the one field new_organisation_name).
func (f *traineeForm) validate(t *domain.Trainee, org *domain.Organisation, now time.Time) error {
	p := domain.Problems{}
	person := *t
	if org != nil {
		// The organisation typed in is the person's once created: theirs
		// counts as chosen.
		person.OrganisationID = new(int64)
	}
	if v, ok := domain.AsValidation(person.Validate(now)); ok {
		for field, problem := range v.Fields {
			p.AddParam(field, problem.Key, problem.Param)
		}
	}
	if org == nil {
		return p.Err()
	}
	if v, ok := domain.AsValidation(org.Validate()); ok {
		for field, problem := range v.Fields {
			if field == "name_ar" || field == "name_fr" {
				field = "new_organisation_name"
			}
			p.AddParam(field, problem.Key, problem.Param)
		}
	}
	return p.Err()
}

// isArabic reports whether s is written mostly in Arabic script.
func isArabic(s string) bool {
	arabic, other := 0, 0
	for _, r := range s {
		switch {
		case r >= 0x0600 && r <= 0x06FF:
			arabic++
		case r > ' ':
			other++
		}
	}
	return arabic > other
}

// enrolExistingForm is the button that enrols a person found by the search
// or offered as a look-alike (views/pages/courses/enrol.html).
type enrolExistingForm struct {
	TraineeID int64 `form:"trainee_id"`
}
