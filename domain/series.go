package domain

import (
	"strconv"
	"time"
)

// MaxSeriesSessions bounds one series, so that a typo cannot create thousands.
const MaxSeriesSessions = 200

// SessionSeries describes sessions repeated at a fixed interval, e.g. every
// Tuesday 09:00–12:00 for 6 weeks: FirstDay a Tuesday, IntervalDays 7, Count 6.
type SessionSeries struct {
	FirstDay     Date    `json:"first_day"`
	StartTime    string  `json:"start_time"` // "09:00", Casablanca time
	EndTime      string  `json:"end_time"`   // "12:00"
	IntervalDays int     `json:"interval_days"`
	Count        int     `json:"count"`
	Place        string  `json:"place"`
	Hours        float64 `json:"hours"` // 0: the length of each session
}

// Sessions expands the series into sessions, validating it first. Each
// session keeps its wall-clock time in Casablanca across clock changes.
func (s SessionSeries) Sessions() ([]Session, error) {
	p := Problems{}
	start, okStart := clockTime(s.StartTime)
	end, okEnd := clockTime(s.EndTime)
	if s.FirstDay.IsZero() {
		p.Add("first_day", "validation.required")
	}
	if !okStart {
		p.Add("start_time", "session.time_format")
	}
	if !okEnd {
		p.Add("end_time", "session.time_format")
	}
	if okStart && okEnd && end <= start {
		p.Add("end_time", "session.ends_before_start")
	}
	if s.Count < 1 || s.Count > MaxSeriesSessions {
		p.AddParam("count", "session.series_count", strconv.Itoa(MaxSeriesSessions))
	}
	if s.Count > 1 && (s.IntervalDays < 1 || s.IntervalDays > 366) {
		p.Add("interval_days", "session.series_interval")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	sessions := make([]Session, 0, s.Count)
	for i := 0; i < s.Count; i++ {
		day := s.FirstDay.AddDate(0, 0, i*s.IntervalDays)
		startsAt := atClock(day, start)
		endsAt := atClock(day, end)
		hours := s.Hours
		if hours == 0 {
			hours = endsAt.Sub(startsAt).Hours()
		}
		sessions = append(sessions, Session{StartsAt: startsAt, EndsAt: endsAt, Place: s.Place, Hours: hours})
	}
	return sessions, nil
}

// clockTime reads "HH:MM" (in any digits people type) as minutes after midnight.
func clockTime(s string) (int, bool) {
	t, err := time.Parse("15:04", CleanNumber(s))
	if err != nil {
		return 0, false
	}
	return t.Hour()*60 + t.Minute(), true
}

// atClock is the instant of day at the given Casablanca wall-clock minutes, in UTC.
func atClock(day time.Time, minutes int) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), minutes/60, minutes%60, 0, 0, Casablanca).UTC()
}
