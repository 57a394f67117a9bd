package domain

import (
	"regexp"
	"testing"
)

// A code is read as printed or typed: dashes, spaces, small letters and
// Arabic-Indic digits are the same code; anything else is not one.
func TestParseCheckinCode(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in          string
		token, code string
	}{
		{"K7Q-M4X", "", "K7QM4X"},
		{" k7q m4x ", "", "K7QM4X"},
		{"K7Q–M4X", "", "K7QM4X"},
		{"ab٢-۳cd", "", "AB23CD"},
		{"TK1ABCDEFGHJKLMNPQR", "TK1ABCDEFGHJKLMNPQR", ""},
		{"tk1abcdefghjklmnpqr", "TK1ABCDEFGHJKLMNPQR", ""},
	} {
		got, err := ParseCheckinCode(c.in)
		if err != nil || got.Token != c.token || got.Short != c.code {
			t.Errorf("%q: got %+v, %v", c.in, got, err)
		}
	}
	for _, in := range []string{"", "K7QM4", "K7QM4XX", "K0QM4X", "KIQM4X", "TK2ABCDEFGHJKLMNPQR", "TK1ABCDEFGHJKLMNPQ0",
		"https://example.org/K7QM4X", string(make([]byte, 100))} {
		if got, err := ParseCheckinCode(in); err != ErrCheckinCodeMalformed {
			t.Errorf("%q: want malformed, got %+v, %v", in, got, err)
		}
	}
}

// Codes are drawn from the alphabet at random: the database's pattern
// holds, they read back as themselves, and 2,000 draws do not repeat.
func TestNewCheckinCodesAreRandomAndWellFormed(t *testing.T) {
	t.Parallel()
	token := regexp.MustCompile(`^TK1[2-9A-HJ-NP-Z]{16}$`) // migrations/00023_checkin_codes.sql
	short := regexp.MustCompile(`^[2-9A-HJ-NP-Z]{6}$`)
	seen := map[string]bool{}
	for range 2000 {
		c, err := NewCheckinCode()
		if err != nil {
			t.Fatal(err)
		}
		if !token.MatchString(c.Token) || !short.MatchString(c.Short) || seen[c.Token] {
			t.Fatalf("bad or repeated code %+v", c)
		}
		seen[c.Token] = true
		if in, err := ParseCheckinCode(c.ShortShown()); err != nil || in.Short != c.Short {
			t.Fatalf("%s does not read back: %+v %v", c.ShortShown(), in, err)
		}
		if in, err := ParseCheckinCode(c.Token); err != nil || in.Token != c.Token {
			t.Fatalf("%s does not read back: %+v %v", c.Token, in, err)
		}
	}
}
