package app

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// enrolPageData is the enrolment page: search existing people, or enter a
// new person, whose fields follow the category.
type enrolPageData struct {
	Course         *domain.Course
	Query          string
	Results        []personCard
	Duplicates     []personCard // look-alikes of the person being created
	Institutions   []domain.Organisation
	Associations   []domain.Organisation
	Provinces      []domain.Province
	Categories     []domain.Category
	CanOverride    bool
	Limited        bool // a trainer's search: whole CIN or phone, names of 3 letters or more
	SearchTooBroad bool // a trainer typed too little of a name to search
	ResultsCapped  bool // a trainer's search filled its page: more may match
}

// personCard is a person as the enrolment page lists them (partials/person):
// coordinators see the birth year, trainers its decade; nobody sees contact
// details or the CIN here.
type personCard struct {
	ID               int64
	Category         domain.Category
	FullNameAr       *string
	FullNameLatin    *string
	BirthYear        *int
	BirthDecade      *int
	OrganisationName *string
}

// BirthDecadeEnd is the last year of the card's birth decade (1989 for 1980).
func (p personCard) BirthDecadeEnd() int {
	if p.BirthDecade == nil {
		return 0
	}
	return *p.BirthDecade + 9
}

func cardsOfMatches(matches []repository.TraineeMatch) []personCard {
	cards := make([]personCard, len(matches))
	for i, m := range matches {
		cards[i] = personCard{ID: m.ID, Category: m.Category, FullNameAr: m.FullNameAr, FullNameLatin: m.FullNameLatin,
			BirthYear: m.BirthYear, OrganisationName: m.OrganisationName}
	}
	return cards
}

func cardsOfGlimpses(glimpses []repository.TraineeGlimpse) []personCard {
	cards := make([]personCard, len(glimpses))
	for i, g := range glimpses {
		cards[i] = personCard{ID: g.ID, Category: g.Category, FullNameAr: g.FullNameAr, FullNameLatin: g.FullNameLatin,
			BirthDecade: g.BirthDecade, OrganisationName: g.OrganisationName}
	}
	return cards
}

var traineeFields = []string{"category", "full_name_ar", "full_name_latin", "sex", "birth_year", "organisation_id",
	"new_organisation_name", "province", "phone", "email", "national_id", "guardian_consent", "confirm_new", "override_capacity"}

func (s *Server) enrolPageData(c *fiber.Ctx) (*enrolPageData, error) {
	course, err := s.course(c)
	if err != nil {
		return nil, err
	}
	ctx := c.UserContext()
	u := currentUser(c)
	d := &enrolPageData{Course: course, Query: c.Query("q"), Categories: domain.Categories,
		CanOverride: coordinators.admits(u), Limited: !coordinators.admits(u)}
	if d.Institutions, err = s.store.Organisations(ctx, "", domain.Institution, repository.Page{Limit: 50}); err != nil {
		return nil, err
	}
	if d.Associations, err = s.store.Organisations(ctx, "", domain.Association, repository.Page{Limit: 50}); err != nil {
		return nil, err
	}
	if d.Provinces, err = s.store.Provinces(ctx); err != nil {
		return nil, err
	}
	if d.Query != "" {
		if err := s.searchForPage(c, d); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// searchForPage fills the page's results: the full search for coordinators
// and admins, a trainer's limited one otherwise (a name too short to search
// is a hint on the page, not an error page).
func (s *Server) searchForPage(c *fiber.Ctx, d *enrolPageData) error {
	ctx := c.UserContext()
	if !d.Limited {
		matches, err := s.store.SearchTrainees(ctx, d.Query, repository.Page{Limit: 20})
		d.Results = cardsOfMatches(matches)
		return err
	}
	scope, err := s.scope(c)
	if err != nil {
		return err
	}
	glimpses, err := s.store.SearchTraineesAsTrainer(ctx, d.Query, repository.TrainerSearchLimit, scope, actor(c))
	if v, ok := domain.AsValidation(err); ok && v.Fields["q"].Key != "" {
		d.SearchTooBroad = true
		return nil
	}
	d.Results = cardsOfGlimpses(glimpses)
	d.ResultsCapped = len(glimpses) == repository.TrainerSearchLimit
	return err
}

// pageDuplicates are the look-alikes of t that the user may be shown (see
// possibleDuplicates).
func (s *Server) pageDuplicates(c *fiber.Ctx, t *domain.Trainee) ([]personCard, error) {
	if coordinators.admits(currentUser(c)) {
		dups, err := s.store.PossibleDuplicates(c.UserContext(), t)
		return cardsOfMatches(dups), err
	}
	scope, err := s.scope(c)
	if err != nil {
		return nil, err
	}
	dups, err := s.store.PossibleDuplicatesAsTrainer(c.UserContext(), t, scope)
	return cardsOfGlimpses(dups), err
}

// enrolPage shows the search and the new-person form.
func (s *Server) enrolPage(c *fiber.Ctx) error {
	data, err := s.enrolPageData(c)
	if err != nil {
		return err
	}
	return s.renderForm(c, "courses/enrol", data, NewForm(map[string]string{"category": string(domain.InstitutionalActor)}), nil)
}

// enrolForm enrols an existing person (trainee_id) or creates and enrols a
// new one, offering look-alike records before creating a duplicate.
func (s *Server) enrolForm(c *fiber.Ctx) error {
	data, err := s.enrolPageData(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	opt := repository.EnrollOptions{OverrideCapacity: data.CanOverride && formBool(c, "override_capacity")}
	if id := c.FormValue("trainee_id"); id != "" {
		traineeID, err := strconv.ParseInt(domain.CleanNumber(id), 10, 64)
		if err != nil {
			return domain.ErrNotFound
		}
		if err := s.mayEnrolExisting(c, traineeID); err != nil {
			return err
		}
		if _, err := s.store.Enroll(ctx, data.Course.ID, traineeID, opt, actor(c)); err != nil {
			return s.renderForm(c, "courses/enrol", data, NewForm(nil), err)
		}
		return s.redirectWithFlash(c, coursePath(data.Course.ID), "flash.enrolled")
	}
	form := NewForm(formValues(c, traineeFields...))
	p := domain.Problems{}
	t := traineeFromForm(c, p)
	newOrg := s.inlineOrganisation(c, t)
	if len(p) > 0 {
		return s.renderForm(c, "courses/enrol", data, form, withProblems(p, t.Validate(time.Now())))
	}
	if !formBool(c, "confirm_new") {
		if data.Duplicates, err = s.pageDuplicates(c, t); err != nil {
			return err
		}
		if len(data.Duplicates) > 0 {
			// 409, as the API answers: the person may exist already.
			form.Message = s.tr(c).T("enrollment.possible_duplicate")
			return s.renderPage(c, fiber.StatusConflict, "courses/enrol", data, form)
		}
	}
	// The store validates the person, inside the transaction that may first
	// create their organisation.
	if _, err := s.store.EnrollNewWithOrganisation(ctx, data.Course.ID, t, newOrg, opt, actor(c)); err != nil {
		return s.renderForm(c, "courses/enrol", data, form, err)
	}
	return s.redirectWithFlash(c, coursePath(data.Course.ID), "flash.enrolled")
}

// traineeFromForm reads the new-person form.
func traineeFromForm(c *fiber.Ctx, p domain.Problems) *domain.Trainee {
	t := &domain.Trainee{Category: domain.Category(c.FormValue("category")), FullNameAr: formOptional(c, "full_name_ar"),
		FullNameLatin: formOptional(c, "full_name_latin"), Sex: domain.Sex(c.FormValue("sex")),
		BirthYear: formOptionalInt(c, "birth_year", p), Province: formOptional(c, "province"),
		Phone: formOptional(c, "phone"), Email: formOptional(c, "email"), NationalID: formOptional(c, "national_id"),
		GuardianConsent: formBool(c, "guardian_consent")}
	if id := formOptionalInt(c, "organisation_id", p); id != nil && *id > 0 {
		orgID := int64(*id)
		t.OrganisationID = &orgID
	}
	return t
}

// inlineOrganisation is the organisation typed into the form when the
// person's is not in the list yet: of the kind their category needs, created
// in the same transaction as the person and the enrolment.
func (s *Server) inlineOrganisation(c *fiber.Ctx, t *domain.Trainee) *domain.Organisation {
	name := formOptional(c, "new_organisation_name")
	kind := t.Category.OrganisationKind()
	if name == nil || t.OrganisationID != nil || kind == "" {
		return nil
	}
	org := &domain.Organisation{Kind: kind, Province: t.Province}
	if isArabic(*name) {
		org.NameAr = name
	} else {
		org.NameFr = name
	}
	return org
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

// withdrawForm withdraws a trainee from the course, keeping the history.
func (s *Server) withdrawForm(c *fiber.Ctx) error {
	course, err := s.withdrawFromPath(c)
	if err != nil {
		return err
	}
	return s.redirectWithFlash(c, coursePath(course.ID), "flash.withdrawn")
}
