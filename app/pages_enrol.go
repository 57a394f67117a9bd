package app

import (
	"errors"
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
	Correcting     bool // the course is closed and the user may correct it: the forms ask why (lifecycle.go)
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

func (s *Server) enrolPageData(c *fiber.Ctx) (*enrolPageData, error) {
	course, err := s.course(c)
	if err != nil {
		return nil, err
	}
	ctx := c.UserContext()
	u := currentUser(c)
	d := &enrolPageData{Course: course, Query: c.Query("q"), Categories: domain.Categories,
		CanOverride: coordinators.admits(u), Limited: !coordinators.admits(u), Correcting: coordinators.admits(u) && course.Closed()}
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
	return s.renderForm(c, "courses/enrol", data, formOf(newTraineeForm()), nil)
}

// enrolForm enrols an existing person (the trainee_id of a search result
// or a look-alike) or creates and enrols a new one.
func (s *Server) enrolForm(c *fiber.Ctx) error {
	if c.FormValue("trainee_id") != "" {
		return s.enrolExisting(c)
	}
	return s.enrolNew(c)
}

// enrolExisting enrols a person found on the page. The page's data (the
// organisations, the provinces) is loaded only to show it again.
func (s *Server) enrolExisting(c *fiber.Ctx) error {
	var f enrolExistingForm
	if readForm(c, &f).Check(nil) != nil {
		return domain.ErrNotFound // not an id of a button of ours: as an id that does not exist
	}
	if err := s.mayEnrolExisting(c, f.TraineeID); err != nil {
		return err
	}
	if _, err := s.store.Enroll(c.UserContext(), courseID(c), f.TraineeID, repository.EnrollOptions{}, actor(c)); err != nil {
		return s.renderFormAgain(c, "courses/enrol", formOf(newTraineeForm()), err, func() (any, error) { return s.enrolPageData(c) })
	}
	return s.redirectWithFlash(c, coursePath(courseID(c)), "flash.enrolled")
}

// enrolNew creates a person from the form and enrols them, offering
// look-alike records before creating a duplicate (409, as the API answers).
func (s *Server) enrolNew(c *fiber.Ctx) error {
	var f traineeForm
	form := readForm(c, &f)
	t := f.trainee()
	org := f.newOrganisation(t)
	err := form.Check(f.validate(t, org, time.Now()))
	var duplicates []personCard
	if err == nil && !f.ConfirmNew {
		if duplicates, err = s.pageDuplicates(c, t); err == nil && len(duplicates) > 0 {
			return s.offerDuplicates(c, form, duplicates)
		}
	}
	if err == nil {
		// The store validates the person again, inside the transaction that
		// may first create their organisation.
		opt := repository.EnrollOptions{OverrideCapacity: f.OverrideCapacity && coordinators.admits(currentUser(c))}
		_, err = s.store.EnrollNewWithOrganisation(c.UserContext(), courseID(c), t, org, opt, actor(c))
	}
	var exists *domain.OrganisationExists
	if errors.As(err, &exists) {
		return s.offerExistingOrganisation(c, form, exists)
	}
	if err != nil {
		return s.renderFormAgain(c, "courses/enrol", form, err, func() (any, error) { return s.enrolPageData(c) })
	}
	return s.redirectWithFlash(c, coursePath(courseID(c)), "flash.enrolled")
}

// offerDuplicates shows the form again above the records that look like
// the person being created, to enrol one of them instead: 409.
func (s *Server) offerDuplicates(c *fiber.Ctx, form *Form, duplicates []personCard) error {
	data, err := s.enrolPageData(c)
	if err != nil {
		return err
	}
	data.Duplicates = duplicates
	form.Message = s.tr(c).T("enrollment.possible_duplicate")
	return s.renderPage(c, fiber.StatusConflict, "courses/enrol", data, form)
}

// withdrawForm withdraws a trainee from the course, keeping the history.
func (s *Server) withdrawForm(c *fiber.Ctx) error {
	course, err := s.withdrawFromPath(c)
	if err != nil {
		return err
	}
	return s.redirectWithFlash(c, coursePath(course.ID), "flash.withdrawn")
}
