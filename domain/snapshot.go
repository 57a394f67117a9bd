package domain

import "strconv"

// EnrollmentCorrection is a coordinator's correction of what a person was
// when enrolled in one course: the category and organisation the figures
// count them in for that course (an enrolment keeps them, so that
// reclassifying the person later moves no past figure), and why, which the
// audit keeps. Whether the organisation exists and is of the kind the
// category needs, and whether a child parliamentarian was a minor in the
// course year, is checked by the store.
type EnrollmentCorrection struct {
	Category       Category `json:"category"`
	OrganisationID *int64   `json:"organisation_id"`
	Reason         string   `json:"reason"`
}

// MaxCorrectionReason is the longest reason kept, in characters.
const MaxCorrectionReason = 500

// Normalize tidies the reason as typed.
func (c *EnrollmentCorrection) Normalize() { c.Reason = cleanParagraph(c.Reason) }

// Validate checks a normalized correction.
func (c EnrollmentCorrection) Validate() error {
	p := Problems{}
	if !c.Category.Valid() {
		p.Add("category", "snapshot.category_invalid")
	}
	switch c.Category.OrganisationKind() {
	case Institution:
		if c.OrganisationID == nil {
			p.Add("organisation_id", "trainee.institution_required")
		}
	case Association:
		if c.OrganisationID == nil {
			p.Add("organisation_id", "trainee.association_required")
		}
	}
	if bad := CheckText(c.Reason); bad != nil {
		p.AddParam("reason", bad.Key, bad.Param)
	}
	switch {
	case c.Reason == "":
		p.Add("reason", "snapshot.reason_required")
	case len([]rune(c.Reason)) > MaxCorrectionReason:
		p.AddParam("reason", "validation.max", strconv.Itoa(MaxCorrectionReason))
	}
	return p.Err()
}
