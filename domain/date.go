package domain

import (
	"database/sql/driver"
	"fmt"
	"regexp"
	"time"
)

// Date is a calendar day (a course's first and last day), written
// "2006-01-02" in JSON and forms.
type Date struct{ time.Time }

// DateLayout is how a Date is written.
const DateLayout = "2006-01-02"

// ParseDate reads a "2006-01-02" day, in any digits people type (CleanNumber).
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(DateLayout, CleanNumber(s))
	return Date{t}, err
}

// String writes the day, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Format(DateLayout)
}

// MarshalJSON writes "2006-01-02".
func (d Date) MarshalJSON() ([]byte, error) { return []byte(`"` + d.String() + `"`), nil }

// UnmarshalJSON reads "2006-01-02".
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" || string(b) == `""` {
		*d = Date{}
		return nil
	}
	if len(b) < 2 || b[0] != '"' {
		return fmt.Errorf("date: want a \"YYYY-MM-DD\" string")
	}
	parsed, err := ParseDate(string(b[1 : len(b)-1]))
	*d = parsed
	return err
}

// Scan reads a PostgreSQL date.
func (d *Date) Scan(src any) error {
	t, ok := src.(time.Time)
	if !ok {
		return fmt.Errorf("date: cannot scan %T", src)
	}
	d.Time = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return nil
}

// Value writes the day for PostgreSQL.
func (d Date) Value() (driver.Value, error) { return d.String(), nil }

// DayLayout is how people in Morocco write a day, in Arabic and French
// alike: day/month/year. Forms show a Date so and read it back (ParseDay).
const DayLayout = "02/01/2006"

// Local writes the day as people write it ("31/03/2026"), or "" for the
// zero Date.
func (d Date) Local() string {
	if d.IsZero() {
		return ""
	}
	return d.Format(DayLayout)
}

// typedDay is a day as people type it: three numbers with "/", "-" or "."
// between them (spaces allowed around).
var typedDay = regexp.MustCompile(`^([0-9]{1,4}) *[/.-] *([0-9]{1,2}) *[/.-] *([0-9]{1,4})$`)

// ParseDay reads a day as a person types it into a form: day/month/year
// ("31/03/2026", "1/3/2026", with "/", "-" or "." between), or the
// year-month-day a date picker sends ("2026-03-31"); in any digits
// (CleanNumber). The year has four digits: "1/3/26" is refused rather than
// guessed.
func ParseDay(s string) (Date, error) {
	m := typedDay.FindStringSubmatch(CleanNumber(s))
	if m == nil {
		return Date{}, fmt.Errorf("day %q: want day/month/year", s)
	}
	day, month, year := m[1], m[2], m[3]
	if len(m[1]) == 4 { // year-month-day
		day, year = m[3], m[1]
	}
	if len(year) != 4 || len(day) > 2 {
		return Date{}, fmt.Errorf("day %q: want day/month/year with a four-digit year", s)
	}
	t, err := time.Parse("2006-1-2", year+"-"+month+"-"+day)
	if err != nil {
		return Date{}, fmt.Errorf("day %q: %w", s, err)
	}
	return Date{t}, nil
}
