package app

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// apiListOrganisations answers GET /api/v1/organisations?q=&kind=&limit=&offset=.
func (s *Server) apiListOrganisations(c *fiber.Ctx) error {
	page, err := pageOf(c, 50, repository.DefaultPage)
	if err != nil {
		return err
	}
	kind := domain.OrganisationKind(c.Query("kind"))
	if kind != "" && !kind.Valid() {
		return domain.Invalid("kind", "validation.oneof")
	}
	orgs, err := s.store.Organisations(c.UserContext(), c.Query("q"), kind, page.ask())
	if err != nil {
		return err
	}
	return sendList(c, page, orgs)
}

// organisationInput is the body of POST /organisations.
type organisationInput struct {
	ID                 readOnly                `json:"id"`
	Kind               domain.OrganisationKind `json:"kind"`
	NameAr             *string                 `json:"name_ar"`
	NameFr             *string                 `json:"name_fr"`
	Province           *string                 `json:"province"`
	RegistrationNumber *string                 `json:"registration_number"`
}

func (in *organisationInput) organisation() *domain.Organisation {
	return &domain.Organisation{Kind: in.Kind, NameAr: in.NameAr, NameFr: in.NameFr, Province: in.Province,
		RegistrationNumber: in.RegistrationNumber}
}

// apiCreateOrganisation answers POST /api/v1/organisations.
func (s *Server) apiCreateOrganisation(c *fiber.Ctx) error {
	var in organisationInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	o := in.organisation()
	if err := s.store.CreateOrganisation(c.UserContext(), o, actor(c)); err != nil {
		if ok, answered := s.existingOrganisationJSON(c, err); ok {
			return answered
		}
		return err
	}
	return created(c, o)
}

// traineeSummary is a look-alike offered to a coordinator before creating a
// person: enough to recognise and enrol them, without contact details or CIN.
type traineeSummary struct {
	ID               int64           `json:"id"`
	Category         domain.Category `json:"category"`
	FullNameAr       *string         `json:"full_name_ar"`
	FullNameLatin    *string         `json:"full_name_latin"`
	Sex              domain.Sex      `json:"sex"`
	BirthYear        *int            `json:"birth_year"`
	OrganisationID   *int64          `json:"organisation_id"`
	OrganisationName *string         `json:"organisation_name"`
}

func summarize(matches []repository.TraineeMatch) []traineeSummary {
	out := make([]traineeSummary, len(matches))
	for i, m := range matches {
		out[i] = traineeSummary{ID: m.ID, Category: m.Category, FullNameAr: m.FullNameAr, FullNameLatin: m.FullNameLatin,
			Sex: m.Sex, BirthYear: m.BirthYear, OrganisationID: m.OrganisationID, OrganisationName: m.OrganisationName}
	}
	return out
}

// apiSearchTrainees answers GET /api/v1/trainees?q=&limit=&offset=: by
// name (any script, accents and diacritics ignored), phone or national ID.
// Coordinators and admins get full records, 20 a page by default, 100 at
// most; a trainer gets glimpses, under the limits of
// repository.SearchTraineesAsTrainer (whole CIN or phone, names of three
// letters or more, ten people at most, audited), on one page only: a next
// page would let a short name list everyone.
func (s *Server) apiSearchTrainees(c *fiber.Ctx) error {
	if !coordinators.admits(currentUser(c)) {
		page, err := pageOf(c, repository.TrainerSearchLimit, repository.TrainerSearchLimit)
		if err != nil {
			return err
		}
		if page.offset > 0 {
			return domain.Invalid("offset", "people.search_one_page")
		}
		scope, err := s.scope(c)
		if err != nil {
			return err
		}
		glimpses, err := s.store.SearchTraineesAsTrainer(c.UserContext(), c.Query("q"), page.limit, scope, actor(c))
		if err != nil {
			return err
		}
		return sendList(c, page, glimpses)
	}
	page, err := pageOf(c, 20, 100)
	if err != nil {
		return err
	}
	matches, err := s.store.SearchTrainees(c.UserContext(), c.Query("q"), page.ask())
	if err != nil {
		return err
	}
	return sendList(c, page, matches)
}

// traineeInput is a person in a JSON body: POST /trainees, PATCH
// /trainees/{id}, and the "trainee" of an enrolment.
type traineeInput struct {
	ID              readOnly        `json:"id"`
	Category        domain.Category `json:"category"`
	FullNameAr      *string         `json:"full_name_ar"`
	FullNameLatin   *string         `json:"full_name_latin"`
	Sex             domain.Sex      `json:"sex"`
	BirthYear       *int            `json:"birth_year"`
	OrganisationID  *int64          `json:"organisation_id"`
	Province        *string         `json:"province"`
	Phone           *string         `json:"phone"`
	Email           *string         `json:"email"`
	NationalID      *string         `json:"national_id"`
	GuardianConsent bool            `json:"guardian_consent"`
	// ConsentMethod: how the consent that guardian_consent records was
	// given (signed_form, the default, or oral_guardian_present).
	ConsentMethod string `json:"consent_method,omitempty"`
}

// traineeInputOf is a stored person as an input: what a PATCH changes.
func traineeInputOf(t *domain.Trainee) traineeInput {
	return traineeInput{Category: t.Category, FullNameAr: t.FullNameAr, FullNameLatin: t.FullNameLatin, Sex: t.Sex,
		BirthYear: t.BirthYear, OrganisationID: t.OrganisationID, Province: t.Province, Phone: t.Phone, Email: t.Email,
		NationalID: t.NationalID, GuardianConsent: t.GuardianConsent}
}

func (in *traineeInput) trainee() *domain.Trainee {
	return &domain.Trainee{Category: in.Category, FullNameAr: in.FullNameAr, FullNameLatin: in.FullNameLatin, Sex: in.Sex,
		BirthYear: in.BirthYear, OrganisationID: in.OrganisationID, Province: in.Province, Phone: in.Phone, Email: in.Email,
		NationalID: in.NationalID, GuardianConsent: in.GuardianConsent, ConsentMethod: domain.UserConsentMethod(in.ConsentMethod)}
}

// apiCreateTrainee answers POST /api/v1/trainees.
func (s *Server) apiCreateTrainee(c *fiber.Ctx) error {
	var in traineeInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	t := in.trainee()
	// No course says in which year a child parliamentarian must be a
	// minor: it is the current year (issue 15, point 8).
	if err := t.ValidateWithoutCourse(time.Now()); err != nil {
		return err
	}
	if err := s.store.CreateTrainee(c.UserContext(), t, actor(c)); err != nil {
		return err
	}
	return created(c, t)
}

// trainee loads the person onTrainee let through.
func (s *Server) trainee(c *fiber.Ctx) (*domain.Trainee, error) {
	return s.store.Trainee(c.UserContext(), traineeID(c))
}

// apiGetTrainee answers GET /api/v1/trainees/{id}: the full record (a
// minor's read is logged).
func (s *Server) apiGetTrainee(c *fiber.Ctx) error {
	t, err := s.store.TraineeRecord(c.UserContext(), traineeID(c), actor(c))
	if err != nil {
		return err
	}
	return c.JSON(t)
}

// apiPatchTrainee answers PATCH /api/v1/trainees/{id}. A trainer may
// change only a person no other course shares (403 asking for a
// coordinator otherwise).
func (s *Server) apiPatchTrainee(c *fiber.Ctx) error {
	t, err := s.trainee(c)
	if err != nil {
		return err
	}
	// What the minors' rule compares, kept apart: decoding into in writes
	// through the pointers it shares with t.
	before := domain.Trainee{Category: t.Category}
	if t.BirthYear != nil {
		before.BirthYear = new(int)
		*before.BirthYear = *t.BirthYear
	}
	in := traineeInputOf(t)
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	changed := in.trainee()
	changed.ID = t.ID
	if err := domain.CheckMinorAfterChange(&before, changed, time.Now()); err != nil {
		return err
	}
	if err := s.updateTrainee(c, changed); err != nil {
		return err
	}
	return c.JSON(changed)
}

// updateTrainee saves t as the signed-in user may: anyone for coordinators
// and admins, a person of their own courses only for a trainer.
func (s *Server) updateTrainee(c *fiber.Ctx, t *domain.Trainee) error {
	scope, err := s.scope(c)
	if err != nil {
		return err
	}
	return s.store.UpdateTrainee(c.UserContext(), t, scope, actor(c))
}

// enrollInput is the body of POST /courses/{id}/enrollments: an existing
// person (trainee_id) or a new one (trainee).
type enrollInput struct {
	TraineeID        int64         `json:"trainee_id"`
	Trainee          *traineeInput `json:"trainee"`
	OverrideCapacity bool          `json:"override_capacity"`
	// ConfirmNew creates the person even though a record with the same name,
	// birth year and organisation exists.
	ConfirmNew bool `json:"confirm_new"`
}

// apiEnroll answers POST /api/v1/courses/{id}/enrollments. The course is
// not loaded first: the enrolment locks it and answers 404 when it is
// missing, the database refuses it when it is closed (closedNeedsReason),
// and the enrolment of a person on record confirms a cached token
// (token_cache.go): one statement, one round trip.
func (s *Server) apiEnroll(c *fiber.Ctx) error {
	err := s.enrollByAPI(c)
	if err != nil && tokenToConfirm(c) != nil {
		// Refused before the statement confirmed the token (a malformed
		// body): a token no longer valid is told so first.
		if err := s.confirmToken(c); err != nil {
			return err
		}
	}
	return closedNeedsReason(c, s.tokenRefused(c, err))
}

func (s *Server) enrollByAPI(c *fiber.Ctx) error {
	courseID := courseID(c)
	var req enrollInput
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	u := currentUser(c)
	opt := repository.EnrollOptions{OverrideCapacity: req.OverrideCapacity && coordinators.admits(u), Token: tokenToConfirm(c)}
	ctx := c.UserContext()
	switch {
	case req.Trainee != nil && req.TraineeID != 0:
		return domain.Invalid("trainee_id", "enrollment.one_of_trainee")
	case req.Trainee != nil:
		// The look-alikes are read before the enrolment: the token first.
		if err := s.confirmToken(c); err != nil {
			return err
		}
		opt.Token = nil
		t := req.Trainee.trainee()
		if !req.ConfirmNew {
			if dups, err := s.possibleDuplicates(c, t); err != nil || dups != nil {
				if err != nil {
					return err
				}
				return s.duplicateWarning(c, dups)
			}
		}
		e, err := s.store.EnrollNew(ctx, courseID, t, opt, actor(c))
		if err != nil {
			return err
		}
		return created(c, fiber.Map{"enrollment": e, "trainee": t})
	case req.TraineeID != 0:
		if err := s.mayEnrolExisting(c, req.TraineeID); err != nil {
			return err
		}
		e, err := s.store.Enroll(ctx, courseID, req.TraineeID, opt, actor(c))
		if !errors.Is(err, repository.ErrTokenNotConfirmed) {
			c.Locals(tokenToConfirmKey, nil) // the statement confirmed it before anything else
		}
		if err != nil {
			return err
		}
		return created(c, fiber.Map{"enrollment": e})
	}
	return domain.Invalid("trainee_id", "enrollment.one_of_trainee")
}

// possibleDuplicates are the look-alikes of t that the user may be shown:
// summaries for coordinators and admins, glimpses (no minor from elsewhere)
// for a trainer. nil when there are none.
func (s *Server) possibleDuplicates(c *fiber.Ctx, t *domain.Trainee) (any, error) {
	if coordinators.admits(currentUser(c)) {
		dups, err := s.store.PossibleDuplicates(c.UserContext(), t)
		if err != nil || len(dups) == 0 {
			return nil, err
		}
		return summarize(dups), nil
	}
	scope, err := s.scope(c)
	if err != nil {
		return nil, err
	}
	dups, err := s.store.PossibleDuplicatesAsTrainer(c.UserContext(), t, scope)
	if err != nil || len(dups) == 0 {
		return nil, err
	}
	return dups, nil
}

// duplicateWarning answers 409 with the records that look like the person
// being created, so that the user can enrol one of them instead.
func (s *Server) duplicateWarning(c *fiber.Ctx, dups any) error {
	return c.Status(fiber.StatusConflict).JSON(fiber.Map{
		"error":      s.tr(c).T("enrollment.possible_duplicate"),
		"duplicates": dups,
	})
}

// withdrawFromPath withdraws the trainee named in the path from the course
// named in the path (the page and the API share it).
func (s *Server) withdrawFromPath(c *fiber.Ctx) (*domain.Course, error) {
	course, err := s.course(c)
	if err != nil {
		return nil, err
	}
	traineeID, err := paramID(c, "trainee_id")
	if err != nil {
		return nil, err
	}
	return course, s.store.Withdraw(c.UserContext(), course.ID, traineeID, actor(c))
}

// apiWithdraw answers DELETE /api/v1/courses/{id}/enrollments/{trainee_id}.
func (s *Server) apiWithdraw(c *fiber.Ctx) error {
	if _, err := s.withdrawFromPath(c); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
