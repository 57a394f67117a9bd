package app

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"unicode/utf8"

	"takaffoul/domain"
)

// barChart is a horizontal bar chart drawn on the server as inline SVG: no
// script, no CDN, and it prints. One group of bars per row, one bar per
// series. The tables beside each chart hold the same figures, so the chart
// is an aid to the eye and the table is what screen readers and
// spreadsheets rely on; the SVG still has a <title> and a <desc>.
type barChart struct {
	ID     string // unique in the page: the title's and desc's ids derive from it
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

// Geometry in SVG user units; the SVG scales to the width of its box.
const (
	chartWidth      = 640
	chartLabelWidth = 190
	chartValueRoom  = 56
	chartBarHeight  = 14
	chartBarGap     = 2
	chartRowGap     = 12
	chartLegend     = 28
	chartLabelRunes = 26
)

// SVG draws the chart. In right-to-left pages the chart is mirrored: labels
// on the right, bars growing leftwards. Every x is computed as if left to
// right and mirrored once (at), and the text anchors are the logical
// "start"/"end", which the SVG's direction turns the right way round.
func (ch barChart) SVG(rtl bool) template.HTML {
	esc := template.HTMLEscapeString
	top := 1
	for _, r := range ch.Rows {
		for _, v := range r.Values {
			if v.Value > top {
				top = v.Value
			}
		}
	}
	n := len(ch.Series)
	groupH := n*chartBarHeight + (n-1)*chartBarGap
	height := chartLegend + len(ch.Rows)*(groupH+chartRowGap) + 4
	plot := float64(chartWidth - chartLabelWidth - chartValueRoom)
	dir := "ltr"
	if rtl {
		dir = "rtl"
	}
	// at mirrors a logical x (from the inline start) for a box of width w.
	at := func(x, w float64) float64 {
		if rtl {
			return chartWidth - x - w
		}
		return x
	}

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" viewBox="0 0 %d %d" direction="%s" `+
		`role="img" aria-labelledby="%s-t %s-d" font-size="12" font-family="inherit">`, chartWidth, height, dir, ch.ID, ch.ID)
	fmt.Fprintf(&b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, ch.ID, esc(ch.Title), ch.ID, esc(ch.summary()))

	// Legend: a swatch and a label per series, from the inline start.
	x := 0.0
	for _, s := range ch.Series {
		fmt.Fprintf(&b, `<rect x="%.1f" y="6" width="12" height="12" fill="%s"/>`, at(x, 12), s.Color)
		fmt.Fprintf(&b, `<text x="%.1f" y="16" text-anchor="start">%s</text>`, at(x+18, 0), esc(s.Label))
		x += 18 + float64(utf8.RuneCountInString(s.Label))*7 + 24
	}

	y := chartLegend
	for _, r := range ch.Rows {
		fmt.Fprintf(&b, `<g><title>%s</title>`, esc(ch.rowSummary(r)))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`,
			at(chartLabelWidth-8, 0), float64(y)+float64(groupH)/2, esc(shorten(r.Label, chartLabelRunes)))
		for i, v := range r.Values {
			w := float64(v.Value) / float64(top) * plot // a hidden value is 0: no bar
			by := y + i*(chartBarHeight+chartBarGap)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>`,
				at(chartLabelWidth, w), by, w, chartBarHeight, ch.Series[i].Color)
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="start" dominant-baseline="middle">%s</text>`,
				at(chartLabelWidth+w+4, 0), by+chartBarHeight/2, esc(chartValue(v)))
		}
		b.WriteString(`</g>`)
		y += groupH + chartRowGap
	}
	b.WriteString(`</svg>`)
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
