package domain

import (
	"bytes"
	"strconv"
	"strings"
	"time"
)

// ConsentScope is what a consent allows.
type ConsentScope string

const (
	ConsentTraining        ConsentScope = "training"         // to be enrolled and trained
	ConsentPhotographs     ConsentScope = "photographs"      // to be photographed at a course
	ConsentCertificateName ConsentScope = "certificate_name" // a certificate that carries the name
)

// ConsentScopes lists the scopes in the order forms show them.
var ConsentScopes = []ConsentScope{ConsentTraining, ConsentPhotographs, ConsentCertificateName}

// ConsentMethod is how a consent was given.
type ConsentMethod string

const (
	ConsentSignedForm    ConsentMethod = "signed_form"           // a paper form signed by a guardian
	ConsentOralGuardian  ConsentMethod = "oral_guardian_present" // given orally, a guardian present
	ConsentImportList    ConsentMethod = "import_list"           // marked "yes" on an imported list
	ConsentBeforeRecords ConsentMethod = "before_records"        // ticked before consent records existed (migration 00021)
)

// ConsentMethods are the methods a user may record (before_records is the
// migration's only).
var ConsentMethods = []ConsentMethod{ConsentSignedForm, ConsentOralGuardian}

// storedConsentMethods are every method a consent may have.
var storedConsentMethods = []ConsentMethod{ConsentSignedForm, ConsentOralGuardian, ConsentImportList, ConsentBeforeRecords}

// UserConsentMethod is the method a user's form or API call names: blank
// (a signed form), or one of ConsentMethods; before_records is the
// migration's and reads as unknown, for Validate to refuse.
func UserConsentMethod(s string) ConsentMethod {
	m := ConsentMethod(strings.TrimSpace(s))
	if m == ConsentBeforeRecords || m == ConsentImportList {
		return "unknown"
	}
	return m
}

// ConsentWording is the version of the consent form's wording in use; a
// consent records the version its guardian was shown.
const ConsentWording = "2026-1"

// MaxScanBytes caps a scan of a signed form (the database's CHECK too).
const MaxScanBytes = 5 << 20

// Consent is one consent given for a person: who recorded it, how, for
// what, and its withdrawal. The scan's bytes are read on their own
// (Store.ConsentScan); here only its type and size.
type Consent struct {
	ID             int64         `db:"id" json:"id"`
	TraineeID      int64         `db:"trainee_id" json:"trainee_id"`
	Scope          ConsentScope  `db:"scope" json:"scope"`
	Method         ConsentMethod `db:"method" json:"method"`
	WordingVersion string        `db:"wording_version" json:"wording_version"`
	GivenOn        Date          `db:"given_on" json:"given_on"`
	RecordedBy     *int64        `db:"recorded_by" json:"recorded_by"`
	RecordedByName *string       `db:"recorded_by_name" json:"recorded_by_name"`
	RecordedAt     time.Time     `db:"recorded_at" json:"recorded_at"`
	ScanType       *string       `db:"scan_type" json:"scan_type"`
	ScanBytes      int           `db:"scan_bytes" json:"scan_bytes"`
	ScanRemovedAt  *time.Time    `db:"scan_removed_at" json:"scan_removed_at"`
	WithdrawnAt    *time.Time    `db:"withdrawn_at" json:"withdrawn_at"`
	WithdrawnBy    *int64        `db:"withdrawn_by" json:"withdrawn_by"`
	WithdrawnName  *string       `db:"withdrawn_by_name" json:"withdrawn_by_name"`
}

// Active reports whether the consent holds (not withdrawn).
func (c *Consent) Active() bool { return c.WithdrawnAt == nil }

// NewConsent is a consent as a user records it: its fields and an optional scan.
type NewConsent struct {
	TraineeID      int64
	Scope          ConsentScope
	Method         ConsentMethod
	WordingVersion string
	GivenOn        Date
	Scan           []byte
}

// Validate checks a consent about to be recorded at now: a known scope and
// method, a wording version, a day not in the future, and a scan (if any)
// that is a PDF, JPEG or PNG by its content, within MaxScanBytes.
func (n *NewConsent) Validate(now time.Time) error {
	n.WordingVersion = strings.TrimSpace(n.WordingVersion)
	p := Problems{}
	if !oneOf(n.Scope, ConsentScopes) {
		p.Add("scope", "consent.scope_unknown")
	}
	if !oneOf(n.Method, ConsentMethods) && n.Method != ConsentImportList {
		p.Add("method", "consent.method_unknown")
	}
	if n.WordingVersion == "" || len([]rune(n.WordingVersion)) > 40 {
		p.Add("wording_version", "consent.wording_required")
	}
	if n.GivenOn.IsZero() {
		p.Add("given_on", "consent.given_on_required")
	} else if n.GivenOn.After(now.In(Casablanca)) {
		p.Add("given_on", "consent.given_on_future")
	}
	if len(n.Scan) > MaxScanBytes {
		p.Add("scan", "consent.scan_too_large")
	} else if len(n.Scan) > 0 && ScanType(n.Scan) == "" {
		p.Add("scan", "consent.scan_type")
	}
	return p.Err()
}

// ScanType is the media type of a scan read from its first bytes: a PDF, a
// JPEG or a PNG, else "" (whatever the file's name or the browser claimed).
func ScanType(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return "application/pdf"
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return "image/jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	}
	return ""
}

func oneOf[T comparable](v T, list []T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Pseudonym is how a person whose consent was withdrawn is named on sheets,
// exports and certificates: their record's number, never their name.
func Pseudonym(id int64) string { return "#" + strconv.FormatInt(id, 10) }
