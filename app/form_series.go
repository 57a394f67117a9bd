package app

import "takaffoul/domain"

// seriesForm is the course page's form that adds one session or a series
// of them (views/pages/courses/show.html).
type seriesForm struct {
	FirstDay     domain.Date `form:"first_day"`
	StartTime    string      `form:"start_time"`
	EndTime      string      `form:"end_time"`
	Count        int         `form:"count"`
	IntervalDays int         `form:"interval_days"`
	Place        string      `form:"place"`
	Hours        float64     `form:"hours"`
}

// newSeriesForm is the empty form: one session, or one a week.
func newSeriesForm() *seriesForm { return &seriesForm{Count: 1, IntervalDays: 7} }

// series is the series the form describes.
func (f *seriesForm) series() domain.SessionSeries {
	return domain.SessionSeries{FirstDay: f.FirstDay, StartTime: f.StartTime, EndTime: f.EndTime,
		IntervalDays: f.IntervalDays, Count: f.Count, Place: f.Place, Hours: f.Hours}
}

// trainerForm is the course page's form that assigns a trainer.
type trainerForm struct {
	UserID int64 `form:"user_id"`
}
