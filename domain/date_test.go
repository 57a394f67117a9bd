package domain

import "testing"

// A day is read as people type it, day first, in any digits, and as a date
// picker sends it; anything else is refused, never guessed.
func TestParseDayReadsWhatPeopleType(t *testing.T) {
	for typed, want := range map[string]string{
		"31/03/2026": "2026-03-31", "1/3/2026": "2026-03-01", "31-03-2026": "2026-03-31", "31.03.2026": "2026-03-31",
		" 31 / 03 / 2026 ": "2026-03-31", "٣١/٠٣/٢٠٢٦": "2026-03-31", "۳۱/۰۳/۲۰۲۶": "2026-03-31",
		"2026-03-31": "2026-03-31", "٢٠١٩-٠٤-٠١": "2019-04-01", "29/02/2024": "2024-02-29",
	} {
		d, err := ParseDay(typed)
		if err != nil || d.String() != want {
			t.Errorf("ParseDay(%q) = %v, %v; want %s", typed, d, err, want)
		}
	}
	for _, typed := range []string{"", "31/02/2026", "29/02/2025", "1/3/26", "2026/31/03", "31/13/2026", "31/03/20266",
		"tomorrow", "2026-03-31T09:00:00+01:00", "31//03/2026", "310/3/2026"} {
		if d, err := ParseDay(typed); err == nil {
			t.Errorf("ParseDay(%q) = %s, want an error", typed, d)
		}
	}
}

// Local writes what ParseDay reads.
func TestLocalDayRoundTrips(t *testing.T) {
	d, _ := ParseDate("2026-03-01")
	if d.Local() != "01/03/2026" {
		t.Fatalf("Local() = %q", d.Local())
	}
	back, err := ParseDay(d.Local())
	if err != nil || back != d {
		t.Fatalf("ParseDay(Local()) = %v, %v", back, err)
	}
	if (Date{}).Local() != "" {
		t.Fatal("the zero day is written")
	}
}
