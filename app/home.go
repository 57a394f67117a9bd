package app

import (
	"time"

	"takaffoul/domain"
	"takaffoul/repository"
)

// trainerHome is a trainer's day: today's sessions first, each with its
// "take attendance" button, then the other days of the week, then where
// each of their courses stands.
type trainerHome struct {
	Today    domain.Date
	Sessions []agendaItem // today's
	Week     []agendaDay  // the other days of the week that have sessions
	Courses  []repository.CourseProgress
}

// agendaDay is one day of the week with its sessions.
type agendaDay struct {
	Date     domain.Date
	Weekday  int // 1 (Monday) … 7 (Sunday): "home.weekday.N"
	Sessions []agendaItem
}

// agendaItem is a session as the trainer's home shows it.
type agendaItem struct {
	repository.AgendaSession
	Hours string // "09:00–12:00", in Africa/Casablanca
	// State says where its attendance is: "taken" (some marks), "due" (its
	// day has come, no mark yet) or "coming" (a later day): "home.state.<State>".
	State string
}

// newTrainerHome lays the agenda out: sessions by day of the week.
func newTrainerHome(a *repository.TrainerAgenda, week domain.Week) *trainerHome {
	h := &trainerHome{Today: week.Today, Courses: a.Courses}
	today := week.TodayDay()
	for _, ss := range a.Sessions {
		day := week.Day(ss.StartsAt)
		item := agendaItem{AgendaSession: ss, Hours: hourRange(ss.StartsAt, ss.EndsAt), State: "coming"}
		switch {
		case ss.Marked > 0:
			item.State = "taken"
		case day <= today:
			item.State = "due"
		}
		if day == today {
			h.Sessions = append(h.Sessions, item)
			continue
		}
		if n := len(h.Week); n == 0 || h.Week[n-1].Weekday != day+1 {
			h.Week = append(h.Week, agendaDay{Date: domain.Date{Time: week.Monday.AddDate(0, 0, day)}, Weekday: day + 1})
		}
		h.Week[len(h.Week)-1].Sessions = append(h.Week[len(h.Week)-1].Sessions, item)
	}
	return h
}

// hourRange writes a session's hours in Africa/Casablanca: "09:00–12:00".
func hourRange(from, to time.Time) string {
	return from.In(casablanca).Format("15:04") + "–" + to.In(casablanca).Format("15:04")
}
