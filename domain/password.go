package domain

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"
)

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 10

// maxPasswordBytes is bcrypt's limit: longer passwords would be cut silently.
const maxPasswordBytes = 72

// MinPasswordScore is the lowest zxcvbn score (0–4) accepted: 3 means about
// 10^8 guesses or more, out of reach of an online attacker held back by the
// login limits. Repeated letters ("aaaaaaaaaa"), keyboard rows, common
// passwords and dictionary words with digits score 0–2.
const MinPasswordScore = 3

// siteWords are words an attacker tries first on this site's accounts.
var siteWords = []string{"takaffoul", "takafoul", "takaful", "tkaful", "تكافل", "ministere", "ministry", "maroc", "morocco"}

// CheckPasswordPolicy refuses a password that is too short, too long for
// bcrypt, the e-mail address, or easy to guess (zxcvbn: common passwords,
// repetitions, sequences, dates, words of the site or of the account). hints
// are what an attacker knows of the account besides its e-mail address (its
// name). The messages say what makes a good password: a few unrelated words.
func CheckPasswordPolicy(password, email string, hints ...string) error {
	switch {
	case utf8.RuneCountInString(password) < MinPasswordLength:
		return Invalid("password", "password.too_short")
	case len(password) > maxPasswordBytes:
		return Invalid("password", "password.too_long")
	case strings.EqualFold(strings.TrimSpace(password), NormalizeEmail(email)):
		return Invalid("password", "password.is_email")
	case zxcvbn.PasswordStrength(password, accountWords(email, hints)).Score < MinPasswordScore:
		return Invalid("password", "password.too_weak")
	}
	return nil
}

// accountWords are the account's own words for zxcvbn: the e-mail address,
// its parts ("fatima.benali@example.ma" → fatima, benali, example), the
// words of each hint and each text's words run together (fatimabenali), and
// the site's.
func accountWords(email string, hints []string) []string {
	email = NormalizeEmail(email)
	words := append([]string{email}, siteWords...)
	notWordChar := func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }
	for _, text := range append([]string{email}, hints...) {
		parts := strings.FieldsFunc(strings.ToLower(text), notWordChar)
		if local, _, found := strings.Cut(text, "@"); found {
			parts = append(parts, strings.Join(strings.FieldsFunc(local, notWordChar), ""))
		} else {
			parts = append(parts, strings.Join(parts, ""))
		}
		for _, w := range parts {
			if utf8.RuneCountInString(w) >= 3 {
				words = append(words, w)
			}
		}
	}
	return words
}
