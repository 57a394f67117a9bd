package domain

// The life of sessions and courses (issue 14): a session is edited until
// it has marks, deleted while it has none, cancelled with a reason at any
// time; a course is closed once its report is done, and a coordinator's
// correction on it, or its reopening, states why.

// MaxReasonLength is the longest reason kept (a cancellation, a
// correction, a reopening); the database checks the same.
const MaxReasonLength = 1000

// CleanReason tidies a reason typed by a person and checks it: nothing
// but spaces is "required" on field, as is a text over MaxReasonLength or
// one with invisible controls.
func CleanReason(field, reason string) (string, error) {
	reason = cleanParagraph(reason)
	p := Problems{}
	switch bad := CheckText(reason); {
	case reason == "":
		p.Add(field, "lifecycle.reason_required")
	case bad != nil:
		p.AddParam(field, bad.Key, bad.Param)
	case len([]rune(reason)) > MaxReasonLength:
		p.AddParam(field, "validation.max", "1000")
	}
	return reason, p.Err()
}

// Cancelled reports whether the session was cancelled.
func (s *Session) Cancelled() bool { return s.CancelledAt != nil }

// Closed reports whether the course is closed.
func (c *Course) Closed() bool { return c.ClosedAt != nil }

// Figures are the values of FigureKeys in t: what a closing keeps of the
// totals, to compare later with the same figures recounted.
func Figures(t *Totals) map[string]int {
	out := make(map[string]int, len(FigureKeys))
	for _, key := range FigureKeys {
		out[key], _ = t.Figure(key)
	}
	return out
}
