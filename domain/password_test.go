package domain

import (
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestPasswordPolicy(t *testing.T) {
	const email, name = "fatima.benali@example.ma", "فاطمة Benali"
	cases := []struct {
		password string
		want     string // the message key, "" when accepted
	}{
		{"short", "password.too_short"},
		{strings.Repeat("é", 9), "password.too_short"},
		{strings.Repeat("a", 73), "password.too_long"},
		{" Fatima.Benali@example.ma ", "password.is_email"},
		{"aaaaaaaaaa", "password.too_weak"},
		{"          ", "password.too_weak"}, // ten spaces
		{"1234567890", "password.too_weak"},
		{"qwertyuiop", "password.too_weak"},
		{"azertyuiop", "password.too_weak"},
		{"password123", "password.too_weak"},
		{"Password1!", "password.too_weak"},
		{"iloveyou12", "password.too_weak"},
		{"motdepasse", "password.too_weak"},
		{"abcabcabcabc", "password.too_weak"},
		{"takaffoul2024", "password.too_weak"},  // the site's name
		{"fatimabenali1", "password.too_weak"},  // the account's own words
		{"benali19901990", "password.too_weak"}, // name and a year
		{"correct horse battery", ""},
		{"tea olive rocket lamp", ""},
		{"bleu cactus marée", ""},
		{"شمس قلم بحر جبل", ""},
		{"Zx9!kq2Lm#", ""},
	}
	for _, c := range cases {
		err := CheckPasswordPolicy(c.password, email, name)
		got := ""
		if v, ok := AsValidation(err); ok {
			got = v.Fields["password"].Key
		} else if err != nil {
			t.Fatalf("%q: %v", c.password, err)
		}
		if got != c.want {
			t.Errorf("CheckPasswordPolicy(%q) = %q, want %q", c.password, got, c.want)
		}
	}
}

// TestPasswordsAreHashedAtBcryptsDefaultCost: outside the suites that
// lower it (dbtest.Main), a hash costs bcrypt.DefaultCost, and one made at
// the lowered cost of the suites still opens its account.
func TestPasswordsAreHashedAtBcryptsDefaultCost(t *testing.T) {
	hash, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if cost, err := bcrypt.Cost([]byte(hash)); err != nil || cost != bcrypt.DefaultCost {
		t.Fatalf("cost %d (%v), want bcrypt.DefaultCost %d", cost, err, bcrypt.DefaultCost)
	}
	fast, err := bcrypt.GenerateFromPassword([]byte("correct horse battery"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if !Authenticate(&User{Active: true, PasswordHash: string(fast)}, "correct horse battery") {
		t.Fatal("a hash made at the suites' cost does not open its account")
	}
}
