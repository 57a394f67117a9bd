package domain

import "time"

// The refusals of a mark for a session that cannot have been held: the
// room has not met yet, or will not meet. Both are 422 (nothing saved),
// with a sentence that says why.
var (
	ErrSessionNotYet   = Refuse(ErrInvalid, "attendance.session_not_yet")
	ErrSessionCanceled = Refuse(ErrInvalid, "attendance.session_cancelled")
)

// SessionOpenForMarks says whether attendance may be taken for s at now:
// not before the session's day has come in Africa/Casablanca (a mark for a
// session three weeks ahead would count it as held and its people as
// trained). Today's sessions are open from midnight, so that a trainer may
// take attendance as the room fills, whatever the hour on the clock. A
// cancelled session refuses marks too: nobody met.
func SessionOpenForMarks(s Session, now time.Time) error {
	if s.Cancelled() {
		return ErrSessionCanceled
	}
	if dayIn(s.StartsAt).After(dayIn(now)) {
		return ErrSessionNotYet
	}
	return nil
}

// dayIn is the calendar day of t in Africa/Casablanca, as a UTC midnight.
func dayIn(t time.Time) time.Time {
	local := t.In(Casablanca)
	return time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
}
