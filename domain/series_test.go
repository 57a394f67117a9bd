package domain

import (
	"testing"
	"time"
)

func TestSeriesEveryTuesdayForSixWeeks(t *testing.T) {
	first, _ := ParseDate("2026-03-03") // a Tuesday
	sessions, err := SessionSeries{FirstDay: first, StartTime: "09:00", EndTime: "12:00", IntervalDays: 7, Count: 6, Place: "Rabat"}.Sessions()
	if err != nil {
		t.Fatal(err)
	}
	if len(sessions) != 6 {
		t.Fatalf("want 6 sessions, got %d", len(sessions))
	}
	for i, s := range sessions {
		local := s.StartsAt.In(Casablanca)
		if local.Weekday() != time.Tuesday || local.Hour() != 9 || s.Hours != 3 {
			t.Errorf("session %d: %v (%v h)", i, local, s.Hours)
		}
	}
}

func TestSeriesRefusesNonsense(t *testing.T) {
	_, err := SessionSeries{StartTime: "12:00", EndTime: "09:00", Count: 5000}.Sessions()
	v, ok := AsValidation(err)
	if !ok {
		t.Fatalf("want a validation error, got %v", err)
	}
	for _, field := range []string{"first_day", "end_time", "count"} {
		if _, ok := v.Fields[field]; !ok {
			t.Errorf("no problem reported on %s: %v", field, v)
		}
	}
}
