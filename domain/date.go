package domain

import (
	"database/sql/driver"
	"fmt"
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
