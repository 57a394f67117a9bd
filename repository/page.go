package repository

// Page is one page of a list: at most Limit rows after skipping Offset, in
// the list's order (every list orders by a unique key last, so that pages
// neither overlap nor skip a row). The zero Page is the first DefaultPage
// rows; no page is longer than MaxRows.
type Page struct {
	Limit, Offset int
}

// DefaultPage is the length of a page that does not say; MaxRows bounds
// any page, whatever it asks.
const (
	DefaultPage = 500
	MaxRows     = 1000
)

// limit and offset are the page's LIMIT and OFFSET.
func (p Page) limit() int {
	if p.Limit <= 0 {
		return DefaultPage
	}
	return min(p.Limit, MaxRows)
}

func (p Page) offset() int { return max(p.Offset, 0) }
