package app

import (
	"strings"
	"testing"

	"takaffoul/domain"
)

// The chart mirrors itself in right-to-left pages: the longest bar fills
// its box, a bar of half its value starts at the inline start (the left in
// French, the right in Arabic), its words are whole and escaped, and it has
// an accessible name.
func TestBarChartMirrorsInRightToLeft(t *testing.T) {
	long := "Préfecture des arrondissements de Casablanca-Anfa et de Aïn Sebaâ-Hay Mohammadi"
	ch := barChart{ID: "c", Title: "Trained <by> province", Series: []chartSeries{{"Local actors", "#000"}},
		Rows: []chartRow{{"<script>alert(1)</script>", []domain.Cell{{Value: 10}}}, {long, []domain.Cell{{Value: 5}}}}}
	for _, c := range []struct {
		rtl  bool
		want []string
	}{
		{false, []string{`<rect x="0.0" width="100.0" height="1" fill="#000"/>`, `<rect x="0.0" width="50.0" height="1" fill="#000"/>`}},
		{true, []string{`<rect x="0.0" width="100.0" height="1" fill="#000"/>`, `<rect x="50.0" width="50.0" height="1" fill="#000"/>`}},
	} {
		got := string(ch.HTML(c.rtl))
		for _, want := range append(c.want, `<div class="bars-label">`+long+`</div>`, `<span class="bars-value">5</span>`) {
			if !strings.Contains(got, want) {
				t.Errorf("rtl=%v: want %s in\n%s", c.rtl, want, got)
			}
		}
		if strings.Contains(got, "<script>") || !strings.Contains(got, "&lt;script&gt;") || !strings.Contains(got, "Trained &lt;by&gt; province") {
			t.Errorf("rtl=%v: labels not escaped", c.rtl)
		}
		if !strings.Contains(got, `role="img" aria-label="Trained &lt;by&gt; province — `) || strings.Contains(got, "…") {
			t.Errorf("rtl=%v: no accessible name, or a label cut", c.rtl)
		}
		if strings.Contains(got, "style=") {
			t.Errorf("rtl=%v: a style attribute, which the Content-Security-Policy refuses", c.rtl)
		}
	}
}

// A hidden figure has no bar: "<5" where its number would be, and the
// words in the titles, never the value.
func TestBarChartShowsAHiddenFigureAsFewerThan5(t *testing.T) {
	ch := barChart{ID: "c", Title: "By sex", Series: []chartSeries{{"Children", "#000"}}, Hidden: "fewer than 5",
		Rows: []chartRow{{"Boys", []domain.Cell{{Hidden: true}}}, {"Girls", []domain.Cell{{Value: 12}}}}}
	got := string(ch.HTML(false))
	for _, want := range []string{`width="0.0" height="1"`, "<span class=\"bars-value\">\u200e&lt;5</span>",
		`title="Boys — Children: fewer than 5"`, `title="Girls — Children: 12"`} {
		if !strings.Contains(got, want) {
			t.Errorf("want %s in\n%s", want, got)
		}
	}
}
