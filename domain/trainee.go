package domain

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Trainee is a person trained by a programme. A child parliamentarian is a
// minor: no phone, e-mail or national ID is ever kept for them.
type Trainee struct {
	ID             int64    `db:"id" json:"id"`
	Category       Category `db:"category" json:"category" validate:"required,oneof=institutional_actor associative_actor child_parliamentarian"`
	FullNameAr     *string  `db:"full_name_ar" json:"full_name_ar" validate:"omitempty,text,max=200"`
	FullNameLatin  *string  `db:"full_name_latin" json:"full_name_latin" validate:"omitempty,text,max=200"`
	Sex            Sex      `db:"sex" json:"sex" validate:"required,oneof=female male"`
	BirthYear      *int     `db:"birth_year" json:"birth_year" validate:"omitempty,gte=1900,lte=2100"`
	OrganisationID *int64   `db:"organisation_id" json:"organisation_id"`
	Province       *string  `db:"province" json:"province" validate:"omitempty,text"`
	Phone          *string  `db:"phone" json:"phone"`
	Email          *string  `db:"email" json:"email" validate:"omitempty,text,email,max=254"`
	NationalID     *string  `db:"national_id" json:"national_id"`
	// GuardianConsent: the person holds an active consent for training
	// (derived from their consent records). Set on a child's creation or
	// edit, it records a consent (ConsentMethod, else a signed form);
	// cleared on an edit, it withdraws it.
	GuardianConsent bool          `db:"guardian_consent" json:"guardian_consent"`
	ConsentMethod   ConsentMethod `db:"-" json:"-"`
	// AnonymisedAt: when the person's identifying data was cleared (issue 18).
	AnonymisedAt *time.Time `db:"anonymised_at" json:"anonymised_at,omitempty"`
}

var (
	phonePattern      = regexp.MustCompile(`^\+?[0-9]{6,15}$`)
	nationalIDPattern = regexp.MustCompile(`^[A-Z]{1,2}[0-9]{1,7}$`)
)

// Normalize tidies what people type: names and free text cleaned (see
// text.go: invisible characters removed, NFC), blank optional fields absent,
// a phone keeps only its digits (ASCII, whichever digits were typed), a
// national ID (CIN) is upper case without spaces.
func (t *Trainee) Normalize() {
	t.FullNameAr = cleanOptional(t.FullNameAr)
	t.FullNameLatin = cleanOptional(t.FullNameLatin)
	t.Province = cleanOptional(t.Province)
	t.Email = cleanOptional(t.Email)
	if p := optionalNumber(t.Phone); p != nil {
		d := digitsOnly(*p)
		t.Phone = &d
	} else {
		t.Phone = nil
	}
	if n := optionalNumber(t.NationalID); n != nil {
		u := strings.ToUpper(strings.ReplaceAll(*n, " ", ""))
		t.NationalID = &u
	} else {
		t.NationalID = nil
	}
	if t.Email != nil {
		e := strings.ToLower(*t.Email)
		t.Email = &e
	}
}

// optionalNumber is CleanNumber for an optional field: nil when blank.
func optionalNumber(s *string) *string {
	if s == nil {
		return nil
	}
	if n := CleanNumber(*s); n != "" {
		return &n
	}
	return nil
}

// NameKey is the folded form of both names that search and the duplicate
// warning compare.
func (t *Trainee) NameKey() string {
	var parts []string
	for _, n := range []*string{t.FullNameAr, t.FullNameLatin} {
		if n != nil {
			parts = append(parts, SearchKey(*n))
		}
	}
	return strings.Join(parts, " | ")
}

// Validate normalizes t and checks every rule that needs no database: the
// category rules, the formats, and that a birth year is not in the future.
// The organisation's kind is checked by the store, which can look it up.
func (t *Trainee) Validate(now time.Time) error { return t.validate(now, true) }

// ValidateEdit is Validate for a change to a person who held an active
// consent for training (hadConsent) or not: a child whose consent was
// withdrawn may be edited without giving it again.
func (t *Trainee) ValidateEdit(now time.Time, hadConsent bool) error {
	return t.validate(now, hadConsent)
}

func (t *Trainee) validate(now time.Time, requireConsent bool) error {
	t.Normalize()
	p := Problems{}
	checkTags(t, p)
	if t.FullNameAr == nil && t.FullNameLatin == nil {
		p.Add("full_name_ar", "trainee.name_required")
		p.Add("full_name_latin", "trainee.name_required")
	}
	if t.BirthYear != nil && *t.BirthYear > now.Year() {
		p.Add("birth_year", "trainee.birth_year_future")
	}
	if t.Phone != nil && !phonePattern.MatchString(*t.Phone) {
		p.Add("phone", "trainee.phone_format")
	}
	if t.NationalID != nil && !nationalIDPattern.MatchString(*t.NationalID) {
		p.Add("national_id", "trainee.national_id_format")
	}
	t.checkCategoryRules(p, requireConsent)
	return p.Err()
}

// checkCategoryRules applies what each category requires and refuses.
func (t *Trainee) checkCategoryRules(p Problems, requireConsent bool) {
	switch t.Category {
	case ChildParliamentarian:
		for field, value := range map[string]*string{"phone": t.Phone, "email": t.Email, "national_id": t.NationalID} {
			if value != nil {
				p.Add(field, "trainee.child_refuses_field")
			}
		}
		if t.BirthYear == nil {
			p.Add("birth_year", "trainee.child_birth_year_required")
		}
		if t.ConsentMethod != "" && !oneOf(t.ConsentMethod, storedConsentMethods) {
			p.Add("consent_method", "consent.method_unknown")
		}
		if !t.GuardianConsent && requireConsent {
			p.Add("guardian_consent", "trainee.child_consent_required")
		}
	case InstitutionalActor:
		if t.OrganisationID == nil {
			p.Add("organisation_id", "trainee.institution_required")
		}
	case AssociativeActor:
		if t.OrganisationID == nil {
			p.Add("organisation_id", "trainee.association_required")
		}
	}
}

// IsMinorIn reports whether someone born in birthYear is under 18 during year.
// A child parliamentarian must be a minor in the year of each course.
func IsMinorIn(birthYear, year int) bool { return year-birthYear < 18 }

// CurrentYear is the calendar year at now in Morocco (Africa/Casablanca):
// the year a person's age is reckoned in when no course gives one.
func CurrentYear(now time.Time) int { return now.In(Casablanca).Year() }

// CheckMinorThisYear applies the minors' rule to a person saved without a
// course (issue 15, point 8): a child parliamentarian must be a minor in the
// current year, by IsMinorIn, the rule an enrolment applies to the course
// year. Someone turning 18 this year is not a minor (IsMinorIn: under 18
// during the whole year), as for a course. The refusal is on birth_year and
// names the year typed. A person with a course is judged on the course year
// instead (the enrolment's trigger, migrations 00014).
func (t *Trainee) CheckMinorThisYear(now time.Time) error {
	if t.Category != ChildParliamentarian || t.BirthYear == nil || IsMinorIn(*t.BirthYear, CurrentYear(now)) {
		return nil
	}
	p := Problems{}
	p.AddParam("birth_year", ChildNotMinorThisYear, strconv.Itoa(*t.BirthYear))
	return p.Err()
}

// ValidateWithoutCourse is Validate for a person created without a course:
// every problem Validate finds and, on birth_year when it has none, the
// minors' rule of CheckMinorThisYear, so that one answer lists them all.
func (t *Trainee) ValidateWithoutCourse(now time.Time) error {
	err := t.Validate(now)
	minor := t.CheckMinorThisYear(now)
	if minor == nil {
		return err
	}
	v, invalid := AsValidation(err)
	if err != nil && !invalid {
		return err
	}
	if !invalid {
		return minor
	}
	p := Problems(v.Fields)
	m, _ := AsValidation(minor)
	p.AddParam("birth_year", m.Fields["birth_year"].Key, m.Fields["birth_year"].Param)
	return p.Err()
}

// CheckMinorAfterChange applies the minors' rule to a change of a person
// outside any course (the current year). A child parliamentarian who came
// of age keeps their record and their enrolments as a child (each enrolment
// keeps its own category, migration 00014), may still be corrected on any
// other field, and may be reclassified to an adult category; but a change of
// the category or of the birth year must not leave a child parliamentarian
// who is not a minor this year: neither an adult made a child nor a child
// made an adult.
func CheckMinorAfterChange(before, after *Trainee, now time.Time) error {
	if before.Category == after.Category && equalYear(before.BirthYear, after.BirthYear) {
		return nil
	}
	return after.CheckMinorThisYear(now)
}

func equalYear(a, b *int) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// ChildNotMinorThisYear is the message key of CheckMinorThisYear's refusal;
// its parameter is the birth year.
const ChildNotMinorThisYear = "trainee.child_not_minor_this_year"

// DisplayName is the name to show: the Arabic one first, as the ministry reads.
func (t *Trainee) DisplayName() string {
	switch {
	case t.FullNameAr != nil && t.FullNameLatin != nil:
		return *t.FullNameAr + " — " + *t.FullNameLatin
	case t.FullNameAr != nil:
		return *t.FullNameAr
	case t.FullNameLatin != nil:
		return *t.FullNameLatin
	}
	return ""
}
