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
// application, always. Only a test binary can lower it
// (LowerPasswordCostForTests).
var passwordCost atomic.Int64

func init() { passwordCost.Store(int64(bcrypt.DefaultCost)) }

// LowerPasswordCostForTests makes HashPassword use bcrypt's minimum cost,
// for test binaries only (dbtest.Main calls it): a suite hashes and checks
// hundreds of passwords, and at the default cost each takes a core for
// ~70 ms. Checking a password follows the cost its hash was made with. It
// panics outside a test binary, so that no path of the application can
// weaken its hashes.
func LowerPasswordCostForTests() {
	if !testing.Testing() {
		panic("domain: LowerPasswordCostForTests outside a test binary")
	}
	passwordCost.Store(int64(bcrypt.MinCost))
}

// HashPassword hashes a password with bcrypt.
func HashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), int(passwordCost.Load()))
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
var dummyHash = sync.OnceValue(func() string {
	h, err := HashPassword("takaffoul-dummy-password-for-timing")
	if err != nil {
		panic(err) // bcrypt cannot fail on a short constant
	}
	return h
})

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
