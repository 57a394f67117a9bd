package domain

import (
	"fmt"
	"strings"
	"time"
	"unicode"
)

// A certificate says that one person completed one course: the totals'
// completion rule (totals.go, "Completed") on an enrolment that is not
// withdrawn. The store issues and revokes them (repository/certificates.go);
// docs/CERTIFICATES.md explains the whole flow.

// RevokeReason is why a certificate stopped being valid.
type RevokeReason string

const (
	RevokedNotCompleted RevokeReason = "not_completed" // the records no longer count the enrolment as completed
	RevokedMerged       RevokeReason = "merged"        // the enrolment went in a merge of duplicates
	RevokedChanged      RevokeReason = "changed"       // what it says changed: a new one replaces it
)

// CertificateCodeLength is the length of a verification code: 24
// characters of CheckinAlphabet, 120 random bits. Codes are drawn at
// random, never derived from a number or a name, so that no one can list
// the certificates by trying codes (docs/SECURITY.md).
const CertificateCodeLength = 24

// NewCertificateCode draws a verification code.
func NewCertificateCode() (string, error) { return randomCode(CertificateCodeLength) }

// ValidCertificateCode says whether s has the shape of a code, so that the
// verify page answers "not found" without asking the database for input
// that cannot be one.
func ValidCertificateCode(s string) bool {
	return len(s) == CertificateCodeLength && inAlphabet(s)
}

// CertificateNumber is the human-readable number printed on a certificate:
// TKF-<course year>-<serial, 6 digits at least>.
func CertificateNumber(year int, serial int64) string {
	return fmt.Sprintf("TKF-%04d-%06d", year, serial)
}

// Initials is what the public verify page shows of a holder: the first
// letter of each word of their name ("Hélène Aït-Lahcen" → "H. A."),
// nothing else. Arabic names give Arabic letters ("فاطمة بنعلي" → "ف. ب.").
// The Latin name is preferred: it is the one a French reader checks.
func Initials(nameLatin, nameAr *string) string {
	for _, n := range []*string{nameLatin, nameAr} {
		if n == nil {
			continue
		}
		var parts []string
		for _, w := range strings.Fields(*n) {
			for _, r := range w {
				if unicode.IsLetter(r) {
					parts = append(parts, string(unicode.ToUpper(r))+".")
					break
				}
			}
		}
		if len(parts) > 0 {
			return strings.Join(parts, " ")
		}
	}
	return "—"
}

// Certificate is one certificate as printed, valid or revoked.
type Certificate struct {
	ID              int64         `db:"id" json:"id"`
	EnrollmentID    int64         `db:"enrollment_id" json:"enrollment_id"`
	CourseID        int64         `db:"course_id" json:"course_id"`
	TraineeID       int64         `db:"trainee_id" json:"trainee_id"`
	Number          string        `db:"number" json:"number"`
	Code            string        `db:"code" json:"code"`
	HolderNameAr    *string       `db:"holder_name_ar" json:"holder_name_ar"`
	HolderNameLatin *string       `db:"holder_name_latin" json:"holder_name_latin"`
	HolderInitials  string        `db:"holder_initials" json:"holder_initials"`
	Category        Category      `db:"category" json:"category"`
	CourseTitleAr   string        `db:"course_title_ar" json:"course_title_ar"`
	CourseTitleFr   string        `db:"course_title_fr" json:"course_title_fr"`
	StartDate       Date          `db:"start_date" json:"start_date"`
	EndDate         Date          `db:"end_date" json:"end_date"`
	Hours           float64       `db:"hours" json:"hours"`
	IssuedAt        time.Time     `db:"issued_at" json:"issued_at"`
	RevokedAt       *time.Time    `db:"revoked_at" json:"revoked_at,omitempty"`
	RevokeReason    *RevokeReason `db:"revoke_reason" json:"revoke_reason,omitempty"`
	ReplacedBy      *int64        `db:"replaced_by" json:"replaced_by,omitempty"`
	// HolderSex is the holder's sex as their record says it now, read only
	// for the printed page (Arabic and French agree with it: "بصفتها فاعلة
	// مؤسساتية"). Never in the JSON nor on the verify page.
	HolderSex Sex `db:"holder_sex" json:"-"`
}

// Valid says whether the certificate has not been revoked.
func (c *Certificate) Valid() bool { return c.RevokedAt == nil }

// CourseTitle is the course's title in each language.
func (c *Certificate) CourseTitle() Names { return Names{Ar: c.CourseTitleAr, Fr: c.CourseTitleFr} }

// NameWithheld says whether the certificate shows the holder's number
// instead of a name.
func (c *Certificate) NameWithheld() bool { return c.HolderNameAr == nil && c.HolderNameLatin == nil }

// CertificateContent is what a certificate says, compared field by field
// with what the records say now: any difference revokes and reissues it.
type CertificateContent struct {
	HolderNameAr, HolderNameLatin *string
	Category                      Category
	CourseTitleAr, CourseTitleFr  string
	StartDate, EndDate            string
	Hours                         float64
}

// Content is what c says.
func (c *Certificate) Content() CertificateContent {
	return CertificateContent{HolderNameAr: c.HolderNameAr, HolderNameLatin: c.HolderNameLatin, Category: c.Category,
		CourseTitleAr: c.CourseTitleAr, CourseTitleFr: c.CourseTitleFr,
		StartDate: c.StartDate.Format(DateLayout), EndDate: c.EndDate.Format(DateLayout), Hours: c.Hours}
}

// Same says whether two contents say the same thing.
func (a CertificateContent) Same(b CertificateContent) bool {
	eq := func(x, y *string) bool { return (x == nil && y == nil) || (x != nil && y != nil && *x == *y) }
	return eq(a.HolderNameAr, b.HolderNameAr) && eq(a.HolderNameLatin, b.HolderNameLatin) && a.Category == b.Category &&
		a.CourseTitleAr == b.CourseTitleAr && a.CourseTitleFr == b.CourseTitleFr &&
		a.StartDate == b.StartDate && a.EndDate == b.EndDate && a.Hours == b.Hours
}

// CertificateRun is what one bulk issue did.
type CertificateRun struct {
	Issued   int `json:"issued"`   // new certificates (reissues included)
	Revoked  int `json:"revoked"`  // certificates revoked (reissues included)
	Reissued int `json:"reissued"` // revoked because what they said changed, and replaced
}

// Reason is why c was revoked ("" while valid).
func (c *Certificate) Reason() string {
	if c.RevokeReason == nil {
		return ""
	}
	return string(*c.RevokeReason)
}
