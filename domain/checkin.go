package domain

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
)

// Check-in codes (issue 17, point 5): an enrolment's badge carries a token
// for the camera (printed as a QR code) and a short code for typing. Both
// are drawn at random: they hold nothing about the person or the course.
// docs/SECURITY.md, "Check-in codes", says why these lengths.
const (
	// CheckinAlphabet is what codes are written with: the digits 2–9 and
	// the capital letters but I and O, which are read as 1 and 0. 32
	// characters: 5 bits each, and a QR code's compact alphanumeric mode.
	CheckinAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	// CheckinTokenPrefix starts every token: it tells our badges from any
	// other QR code the camera sees, and leaves room for another format.
	CheckinTokenPrefix = "TK1"
	// checkinTokenChars after the prefix: 80 bits; with the prefix, 19
	// characters, the most that a QR code of the smallest size (21 × 21
	// modules) holds at error correction M, so that it prints small.
	checkinTokenChars = 16
	// ShortCodeLength is the typed form's length: 30 bits, unique within
	// the course (a typing slip finds nobody rather than somebody else).
	ShortCodeLength = 6
)

// The refusals of a code: each says why in its own words, as the trainer
// at the door needs to know whether to send the person to another room or
// to a coordinator.
var (
	ErrCheckinCodeMalformed = Refuse(ErrInvalid, "checkin.malformed")    // not a code of ours
	ErrCheckinCodeUnknown   = Refuse(ErrInvalid, "checkin.unknown")      // no enrolment of the course has it
	ErrCheckinOtherCourse   = Refuse(ErrInvalid, "checkin.other_course") // a badge of another course
	ErrCheckinWithdrawn     = Refuse(ErrInvalid, "checkin.withdrawn")    // the enrolment was withdrawn: the badge is dead
)

// CheckinCode is an enrolment's pair of codes.
type CheckinCode struct {
	Token string `db:"token"`      // "TK1" and 16 characters: the QR code's content
	Short string `db:"short_code"` // 6 characters, typed when the camera cannot be used
}

// ShortShown is the short code as printed: two groups of three ("K7Q-M4X"),
// easier to read out and to type. The dash is optional when typed.
func (c CheckinCode) ShortShown() string {
	if len(c.Short) != ShortCodeLength {
		return c.Short
	}
	return c.Short[:3] + "-" + c.Short[3:]
}

// NewCheckinCode draws a new pair from the system's random source.
func NewCheckinCode() (CheckinCode, error) {
	token, err := randomCode(checkinTokenChars)
	if err != nil {
		return CheckinCode{}, err
	}
	short, err := randomCode(ShortCodeLength)
	if err != nil {
		return CheckinCode{}, err
	}
	return CheckinCode{Token: CheckinTokenPrefix + token, Short: short}, nil
}

// randomCode is n characters of CheckinAlphabet, each from 5 random bits
// (32 characters: no bias).
func randomCode(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = CheckinAlphabet[b[i]&31]
	}
	return string(b), nil
}

// CheckinInput is a code as scanned or typed, once read: either a token
// (which names its enrolment anywhere) or a short code (which names one
// only within a course).
type CheckinInput struct {
	Token string // set for a scanned badge
	Short string // set for a typed short code
}

// maxCheckinInput is the longest input looked at: a QR code of something
// else (a web address on a poster) is refused without being read through.
const maxCheckinInput = 64

// ParseCheckinCode reads what the camera or the trainer gave: a token, or
// a short code typed with or without its dash, spaces, in small letters,
// with Arabic-Indic digits (a phone's Arabic keyboard). Anything else is
// ErrCheckinCodeMalformed.
func ParseCheckinCode(input string) (CheckinInput, error) {
	if len(input) > maxCheckinInput {
		return CheckinInput{}, ErrCheckinCodeMalformed
	}
	var b strings.Builder
	for _, r := range input {
		switch {
		case r == '-' || r == '‐' || r == '–' || unicode.IsSpace(r):
			continue // separators as typed or printed
		case r >= '٠' && r <= '٩':
			r = '0' + (r - '٠')
		case r >= '۰' && r <= '۹':
			r = '0' + (r - '۰')
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	code := b.String()
	switch {
	case len(code) == ShortCodeLength && inAlphabet(code):
		return CheckinInput{Short: code}, nil
	case len(code) == len(CheckinTokenPrefix)+checkinTokenChars && strings.HasPrefix(code, CheckinTokenPrefix) &&
		inAlphabet(code[len(CheckinTokenPrefix):]):
		return CheckinInput{Token: code}, nil
	}
	return CheckinInput{}, ErrCheckinCodeMalformed
}

func inAlphabet(s string) bool {
	for _, r := range s {
		if !strings.ContainsRune(CheckinAlphabet, r) {
			return false
		}
	}
	return true
}

// CheckinOutcome is what a code did to its person's mark for the session.
type CheckinOutcome string

const (
	CheckedIn      CheckinOutcome = "checked_in"      // marked present now
	AlreadyPresent CheckinOutcome = "already_present" // present already: nothing changed
	AlreadyMarked  CheckinOutcome = "already_marked"  // another mark (late, excused, absent) stands: nothing changed
)

// The offline app's copy of the codes (docs/OFFLINE.md, "A QR scan"): the
// trainer's phone keeps a keyed hash of each code of its sessions' rosters,
// never the code itself, so that a lost phone does not give out printable
// badges. The key is drawn for each pack and kept beside the hashes: it
// only stops a precomputed table, and the phone needs it to hash a scan.
const (
	// TokenDigestHex is a token's hash as kept: 128 bits, not to be
	// reversed (the token itself has 80 random bits).
	TokenDigestHex = 32
	// ShortDigestHex is a short code's hash as kept: 20 bits only. The
	// short code has 30 bits, so with the key anyone can try them all; cut
	// to 20 bits, each hash fits about a thousand codes, and the phone
	// still tells the few people of a course apart (two of a course with
	// the same hash: neither is recognised offline, the server decides).
	ShortDigestHex = 5
)

// CheckinDigest is the keyed hash of a code (a token or a short code, as
// ParseCheckinCode reads it) as the offline app keeps and compares it:
// HMAC-SHA-256 under key, in hexadecimal, cut to its length.
func CheckinDigest(key []byte, code string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(code))
	sum := hex.EncodeToString(mac.Sum(nil))
	if len(code) == ShortCodeLength {
		return sum[:ShortDigestHex]
	}
	return sum[:TokenDigestHex]
}
