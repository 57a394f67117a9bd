package domain

import (
	"errors"
	"testing"
	"time"
)

// A session is open for marks from the start of its day in Casablanca, not
// before; the day is Casablanca's, not UTC's (at 23:30 UTC it is already
// tomorrow in Casablanca in summer time, UTC+1).
func TestSessionOpenForMarks(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, Casablanca)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		name, starts, now string
		open              bool
	}{
		{"past", "2019-03-05 09:00", "2019-03-06 08:00", true},
		{"today, before it starts", "2019-03-05 18:00", "2019-03-05 00:01", true},
		{"today, after it ended", "2019-03-05 09:00", "2019-03-05 23:59", true},
		{"tomorrow", "2019-03-06 00:00", "2019-03-05 23:59", false},
		{"three weeks ahead", "2019-03-26 09:00", "2019-03-05 09:00", false},
	} {
		s := Session{StartsAt: at(c.starts).UTC(), EndsAt: at(c.starts).Add(time.Hour).UTC()}
		err := SessionOpenForMarks(s, at(c.now).UTC())
		if (err == nil) != c.open {
			t.Errorf("%s: open = %v, want %v", c.name, err == nil, c.open)
		}
		if err != nil && (!errors.Is(err, ErrInvalid) || !errors.Is(err, ErrSessionNotYet)) {
			t.Errorf("%s: %v is not a validation refusal", c.name, err)
		}
	}
}

// A cancelled session takes no marks, past or today: nobody met.
func TestCancelledSessionIsNotOpenForMarks(t *testing.T) {
	now := time.Date(2019, 3, 6, 10, 0, 0, 0, time.UTC)
	cancelled := now.Add(-time.Hour)
	s := Session{StartsAt: now.Add(-24 * time.Hour), EndsAt: now.Add(-21 * time.Hour), CancelledAt: &cancelled}
	if err := SessionOpenForMarks(s, now); !errors.Is(err, ErrSessionCanceled) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("a cancelled session: %v, want ErrSessionCanceled (invalid)", err)
	}
}
