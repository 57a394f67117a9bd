package domain

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// FuzzTotalsFilter feeds ParseTotalsFilter arbitrary query values. Whatever
// comes in: no panic; an error is a *ValidationError naming only filter
// fields with "totals." message keys (a 422, never a 500); and an accepted
// filter is valid, normalised, and reads back the same from its own values.
// The seed corpus runs with the ordinary tests.
func FuzzTotalsFilter(f *testing.F) {
	for _, seed := range [][7]string{
		{"child-protection", "2019", "", "", "", "", ""},
		{" Child-Protection ", "2020", "rabat-sale-kenitra", "rabat", "12", "Female", "associative_actor"},
		{"", "", "", "", "", "male", "child_parliamentarian"},
		{"x' OR '1'='1", "2019 OR 1=1", "'; DROP TABLE trainees; --", "$1", "1; DELETE", "female' --", "%00"},
		{"", "0", "", "", "0", "", ""},
		{"", "1999", "", "", "-1", "x", "teacher"},
		{"", "2101", "", "", "99999999999999999999", "", ""},
		{"", "٢٠١٩", "", "", "+7", "", ""},
		{strings.Repeat("a", 61), " 2019 ", "", "", " 12 ", "", ""},
		{"\x00", "\u00a0", "é", "ا", "\n", "\t", "\r\n"},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3], seed[4], seed[5], seed[6])
	}
	f.Fuzz(func(t *testing.T, programme, year, region, province, course, sex, category string) {
		params := map[string]string{"programme": programme, "year": year, "region": region, "province": province,
			"course": course, "sex": sex, "category": category}
		got, err := ParseTotalsFilter(params)
		if err != nil {
			var v *ValidationError
			if !errors.As(err, &v) || len(v.Fields) == 0 {
				t.Fatalf("%q: want a *ValidationError with fields, got %T %v", params, err, err)
			}
			for field, p := range v.Fields {
				if _, known := params[field]; !known || !strings.HasPrefix(p.Key, "totals.") {
					t.Fatalf("%q: problem %q on %q", params, p.Key, field)
				}
			}
			return
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("%q: accepted %+v, which does not validate: %v", params, got, err)
		}
		for _, code := range []string{got.Programme, got.Region, got.Province} {
			if code != "" && !filterCodePattern.MatchString(code) {
				t.Fatalf("%q: accepted code %q", params, code)
			}
		}
		again := map[string]string{"programme": got.Programme, "region": got.Region, "province": got.Province,
			"sex": string(got.Sex), "category": string(got.Category)}
		if got.Year != 0 {
			again["year"] = strconv.Itoa(got.Year)
		}
		if got.Course != 0 {
			again["course"] = strconv.FormatInt(got.Course, 10)
		}
		back, err := ParseTotalsFilter(again)
		if err != nil || back != got {
			t.Fatalf("%q: %+v reads back as %+v (%v)", params, got, back, err)
		}
	})
}
