package domain

import (
	"testing"
	"time"
)

func TestWeekOfCountsDaysInCasablanca(t *testing.T) {
	cases := []struct {
		at            time.Time
		today, monday string
	}{
		// Tuesday 23:30 UTC is already Wednesday in Casablanca (UTC+1).
		{time.Date(2026, 12, 1, 23, 30, 0, 0, time.UTC), "2026-12-02", "2026-11-30"},
		{time.Date(2026, 11, 30, 0, 0, 0, 0, Casablanca), "2026-11-30", "2026-11-30"}, // a Monday
		{time.Date(2026, 12, 6, 22, 59, 0, 0, time.UTC), "2026-12-06", "2026-11-30"},  // Sunday 23:59
		{time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC), "2026-12-07", "2026-12-07"},   // Monday 00:00
		{time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC), "2027-01-01", "2026-12-28"},    // across a year
	}
	for _, c := range cases {
		w := WeekOf(c.at)
		if w.Today.String() != c.today || w.Monday.String() != c.monday {
			t.Errorf("%s: want today %s, Monday %s; got %s, %s", c.at, c.today, c.monday, w.Today, w.Monday)
		}
		if !w.IsToday(c.at) || w.Start().After(c.at) || !w.End().After(c.at) || w.End().Sub(w.Start()) < 167*time.Hour {
			t.Errorf("%s: not inside its own week %s–%s", c.at, w.Start(), w.End())
		}
	}
	w := WeekOf(time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)) // a Wednesday
	if w.Day(time.Date(2026, 11, 30, 9, 0, 0, 0, Casablanca)) != 0 || w.Day(time.Date(2026, 12, 6, 23, 0, 0, 0, Casablanca)) != 6 ||
		w.IsToday(time.Date(2026, 12, 1, 23, 0, 0, 0, Casablanca)) {
		t.Error("days of the week")
	}
}
