package domain

import (
	"strings"
	"testing"
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
