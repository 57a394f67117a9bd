package domain

import "time"

// Week is a calendar week as people in Morocco count it: Monday to Sunday,
// days in Africa/Casablanca, with the day it was taken on (the trainer's
// "today").
type Week struct {
	Today  Date // the day in Africa/Casablanca
	Monday Date // the first day of its week
}

// WeekOf is the week of the instant t, in Africa/Casablanca.
func WeekOf(t time.Time) Week {
	local := t.In(Casablanca)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
	sinceMonday := (int(today.Weekday()) + 6) % 7 // Monday 0 … Sunday 6
	return Week{Today: Date{today}, Monday: Date{today.AddDate(0, 0, -sinceMonday)}}
}

// Start is Monday at midnight, in Africa/Casablanca.
func (w Week) Start() time.Time { return midnight(w.Monday, 0) }

// End is the next Monday at midnight: the week is [Start, End).
func (w Week) End() time.Time { return midnight(w.Monday, 7) }

// Day is the day of the week at t, from 0 (Monday) to 6 (Sunday).
func (w Week) Day(t time.Time) int {
	local := t.In(Casablanca)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
	return int(day.Sub(w.Monday.Time).Hours()+12) / 24 // +12: rounding, whatever the clock change
}

// TodayDay is the day of the week of today, from 0 (Monday) to 6 (Sunday).
func (w Week) TodayDay() int { return int(w.Today.Sub(w.Monday.Time).Hours()) / 24 }

// IsToday reports whether t falls on the week's today, in Africa/Casablanca.
func (w Week) IsToday(t time.Time) bool { return w.Day(t) == w.TodayDay() }

// midnight is the start of day+days in Africa/Casablanca.
func midnight(day Date, days int) time.Time {
	d := day.AddDate(0, 0, days)
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, Casablanca)
}
