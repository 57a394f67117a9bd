package app

import (
	"strings"
	"testing"

	"takaffoul/domain"
)

// The chart mirrors itself in right-to-left pages: the longest bar starts
// next to the labels, on the right in Arabic and on the left otherwise, and
// every label is escaped.
func TestBarChartMirrorsInRightToLeft(t *testing.T) {
	ch := barChart{ID: "c", Title: "Trained <by> province", Series: []chartSeries{{"Local actors", "#000"}},
		Rows: []chartRow{{"<script>alert(1)</script>", []domain.Cell{{Value: 10}}}, {"Salé", []domain.Cell{{Value: 5}}}}}
	// The longest bar is 640 − 190 − 56 = 394 wide; in Arabic it ends where the labels begin.
	for _, c := range []struct {
		rtl  bool
		want []string
	}{
		{false, []string{`direction="ltr"`, `<rect x="190.0" y="28" width="394.0"`, `<rect x="190.0" y="54" width="197.0"`,
			`<text x="182.0" y="35.0" text-anchor="end"`}},
		{true, []string{`direction="rtl"`, `<rect x="56.0" y="28" width="394.0"`, `<rect x="253.0" y="54" width="197.0"`,
			`<text x="458.0" y="35.0" text-anchor="end"`}},
	} {
		svg := string(ch.SVG(c.rtl))
		for _, want := range c.want {
			if !strings.Contains(svg, want) {
				t.Errorf("rtl=%v: want %s in\n%s", c.rtl, want, svg)
			}
		}
		if strings.Contains(svg, "<script>") || !strings.Contains(svg, "&lt;script&gt;") || !strings.Contains(svg, "Trained &lt;by&gt; province") {
			t.Errorf("rtl=%v: labels not escaped", c.rtl)
		}
		if !strings.Contains(svg, `role="img" aria-labelledby="c-t c-d"`) || !strings.Contains(svg, `<desc id="c-d">`) {
			t.Errorf("rtl=%v: no accessible name", c.rtl)
		}
	}
}

// A hidden figure has no bar: "<5" where its number would be, and the
// words in the titles, never the value.
func TestBarChartShowsAHiddenFigureAsFewerThan5(t *testing.T) {
	ch := barChart{ID: "c", Title: "By sex", Series: []chartSeries{{"Children", "#000"}}, Hidden: "fewer than 5",
		Rows: []chartRow{{"Boys", []domain.Cell{{Hidden: true}}}, {"Girls", []domain.Cell{{Value: 12}}}}}
	svg := string(ch.SVG(false))
	for _, want := range []string{`width="0.0" height="14"`, "dominant-baseline=\"middle\">\u200e&lt;5</text>",
		"<title>Boys — Children: fewer than 5</title>", "<title>Girls — Children: 12</title>"} {
		if !strings.Contains(svg, want) {
			t.Errorf("want %s in\n%s", want, svg)
		}
	}
}
