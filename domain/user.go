package domain

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// NormalizeEmail is the form in which e-mail addresses are stored and compared.
// Invisible characters pasted with it (a phone's LRM) are removed (text.go).
func NormalizeEmail(email string) string { return strings.ToLower(cleanLine(email)) }

// Validate checks a user's fields, normalising the e-mail address first.
func (u *User) Validate() error {
	u.Email = NormalizeEmail(u.Email)
	u.Name = cleanLine(u.Name)
	p := Problems{}
	checkTags(u, p)
	return p.Err()
}

// passwordCost is bcrypt's work factor: bcrypt.DefaultCost in the
// application, always. Only a test binary can change it
// (SetPasswordCostForTests).
var passwordCost atomic.Int64

func init() { passwordCost.Store(int64(bcrypt.DefaultCost)) }

// SetPasswordCostForTests makes HashPassword (and the dummy hash) use
// bcrypt's cost given, and returns what restores the previous one. For test
// binaries only: dbtest.Main lowers it to bcrypt.MinCost, since a suite
// hashes and checks hundreds of passwords and at the default cost each
// takes a core for ~70 ms; the few tests about bcrypt's cost itself set
// the default back (serial tests: no other test of the package runs then).
// Checking a password follows the cost its hash was made with. It panics
// outside a test binary, so that no path of the application can weaken
// its hashes.
func SetPasswordCostForTests(cost int) (restore func()) {
	if !testing.Testing() {
		panic("domain: SetPasswordCostForTests outside a test binary")
	}
	previous := passwordCost.Swap(int64(cost))
	return func() { passwordCost.Store(previous) }
}

// HashPassword hashes a password with bcrypt.
func HashPassword(password string) (string, error) {
	return hashAt(password, int(passwordCost.Load()))
}

func hashAt(password string, cost int) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", err
	}
	return string(h), nil
}

// PasswordMatches reports whether password is the one hashed in hash.
func PasswordMatches(hash, password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// dummyHash is compared against when the e-mail address is unknown (or the
// account inactive), so that such an attempt costs the same bcrypt time as a
// wrong password and the answer's timing does not reveal who has an account.
// It is made on first use, once per cost (one in the application).
func dummyHash() string {
	cost := int(passwordCost.Load())
	if h, ok := dummyHashes.Load(cost); ok {
		return h.(string)
	}
	h, err := hashAt("takaffoul-dummy-password-for-timing", cost)
	if err != nil {
		panic(err) // bcrypt cannot fail on a short constant
	}
	actual, _ := dummyHashes.LoadOrStore(cost, h)
	return actual.(string)
}

var dummyHashes sync.Map // cost → hash

// Authenticate reports whether password opens u's account. u may be nil (no
// such e-mail address) or inactive: the answer is then false, after the same
// amount of work.
func Authenticate(u *User, password string) bool {
	if u == nil || !u.Active {
		PasswordMatches(dummyHash(), password)
		return false
	}
	return PasswordMatches(u.PasswordHash, password)
}
