package app

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"unicode/utf8"

	"takaffoul/domain"
)

// barChart is a horizontal bar chart drawn on the server: no script, no
// CDN, and it prints. One group of bars per row, one bar per series. The
// tables beside each chart hold the same figures, so the chart is an aid to
// the eye and the table is what screen readers and spreadsheets rely on;
// the chart still has an accessible name that says what it shows.
//
// Its words are HTML text, its bars small SVGs (issue 16, point 7): one
// SVG for the whole chart scaled to a phone's width drew its 12-unit text
// at about 5 px and cut long labels; as HTML text, a label is never smaller
// than the stylesheet says (dashboard.css) and wraps onto a second line.
// The bars' lengths are SVG attributes, not style attributes, which the
// Content-Security-Policy refuses.
type barChart struct {
	ID     string // unique in the page
	Title  string
	Series []chartSeries
	Rows   []chartRow
	Hidden string // a hidden figure in words ("fewer than 5"), for the titles
}

type chartSeries struct {
	Label string
	Color string
}

type chartRow struct {
	Label  string
	Values []domain.Cell // one per series; a hidden one has no bar, and "<5" where its value would be
}

// HTML draws the chart. In right-to-left pages the bars grow from the
// right: the page's direction lays out the words; the bars, drawn in
// an SVG box of 100 units, are mirrored once here.
func (ch barChart) HTML(rtl bool) template.HTML {
	esc := template.HTMLEscapeString
	top := 1
	for _, r := range ch.Rows {
		for _, v := range r.Values {
			top = max(top, v.Value)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<figure class="bars" id="%s" role="img" aria-label="%s">`, ch.ID, esc(ch.Title+" — "+ch.summary()))
	b.WriteString(`<ul class="bars-legend">`)
	for _, s := range ch.Series {
		fmt.Fprintf(&b, `<li><svg class="swatch" viewBox="0 0 1 1" aria-hidden="true"><rect width="1" height="1" fill="%s"/></svg>%s</li>`,
			s.Color, esc(s.Label))
	}
	b.WriteString(`</ul>`)
	// A row is one flat grid: its label, then a bar and its figure per
	// series (n2, n3: how many rows the label spans beside them on a desk).
	// No wrapper per bar: the page is a few hundred elements and one grid
	// level lighter to lay out (issue 16, point 7).
	for _, r := range ch.Rows {
		fmt.Fprintf(&b, `<div class="bars-row n%d" title="%s"><div class="bars-label">%s</div>`,
			len(r.Values), esc(ch.rowSummary(r)), esc(r.Label))
		for i, v := range r.Values {
			w := float64(v.Value) / float64(top) * 100 // a hidden value is 0: no bar
			x := 0.0
			if rtl {
				x = 100 - w
			}
			fmt.Fprintf(&b, `<svg class="bars-line" viewBox="0 0 100 1" preserveAspectRatio="none" aria-hidden="true">`+
				`<rect x="%.1f" width="%.1f" height="1" fill="%s"/></svg><span class="bars-value">%s</span>`,
				x, w, ch.Series[i].Color, esc(chartValue(v)))
		}
		b.WriteString(`</div>`)
	}
	b.WriteString(`</figure>`)
	// Every text above went through HTMLEscapeString; numbers and colours are ours.
	return template.HTML(b.String())
}

// chartValue is a bar's figure: its number, or "<5" when it is hidden. The
// left-to-right mark keeps "<5" as it is in a right-to-left chart, where it
// would be mirrored to "5>" (see dashboardData.Marker).
func chartValue(v domain.Cell) string {
	if v.Hidden {
		return "\u200e" + domain.SmallCountMarker
	}
	return strconv.Itoa(v.Value)
}

// rowSummary is "label — series: value, series: value" (a hidden value in words).
func (ch barChart) rowSummary(r chartRow) string {
	parts := make([]string, len(r.Values))
	for i, v := range r.Values {
		value := chartValue(v)
		if v.Hidden && ch.Hidden != "" {
			value = ch.Hidden
		}
		parts[i] = ch.Series[i].Label + ": " + value
	}
	return r.Label + " — " + strings.Join(parts, ", ")
}

// summary is every row's summary: what the chart shows, in words.
func (ch barChart) summary() string {
	rows := make([]string, len(ch.Rows))
	for i, r := range ch.Rows {
		rows[i] = ch.rowSummary(r)
	}
	return strings.Join(rows, "; ")
}

// shorten cuts a label to n runes with an ellipsis (the row's <title>
// keeps it whole).
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}
