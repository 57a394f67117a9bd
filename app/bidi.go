package app

import (
	"html/template"
	"strconv"
	"strings"
	"time"
)

// Values that read left to right (dates, times, ranges of years, codes,
// percentages, file names) are written inside an isolate on every page:
// <bdi dir="ltr">. In an Arabic line the browser's bidirectional algorithm
// otherwise reorders their parts against the words around them ("في 2026-"
// / "01-12 20:36", "–2017 / 2020", "% 86"). The "nowrap" class keeps a date
// with its time on one line (app.css). The helpers below are the one way a
// template writes such a value (docs/web-shell.md, "Right-to-left").

// isolated writes s as one left-to-right isolate, escaped; "" stays "".
func isolated(s string) template.HTML {
	if s == "" {
		return ""
	}
	return template.HTML(`<bdi dir="ltr" class="nowrap">` + template.HTMLEscapeString(s) + `</bdi>`)
}

// isolatedDateTime is {{datetime t}}: "12/01/2026 20:36" in Africa/Casablanca.
func isolatedDateTime(t time.Time) template.HTML { return isolated(DateTime(t)) }

// isolatedDate is {{date t}}: "12/01/2026" in Africa/Casablanca.
func isolatedDate(t time.Time) template.HTML { return isolated(Date(t)) }

// isolatedDates is {{dates from to}}: a range of days, one isolate
// ("12/01/2026 – 31/03/2026"), so its ends never swap.
func isolatedDates(from, to time.Time) template.HTML {
	return isolated(strings.TrimSpace(Date(from) + " – " + Date(to)))
}

// isolatedYears is {{years from to}}: "2017–2020", one year when both are
// the same, "2017–" when the range has no end (to is 0).
func isolatedYears(from, to int) template.HTML {
	if to == 0 {
		return isolated(strconv.Itoa(from) + "–")
	}
	if from == to {
		return isolated(strconv.Itoa(from))
	}
	return isolated(strconv.Itoa(from) + "–" + strconv.Itoa(to))
}

// isolatedCode is {{code s}}: a course or programme code, a CIN, a file
// name: anything of Latin letters, digits and punctuation.
func isolatedCode(s string) template.HTML { return isolated(s) }

// isolatedFraction is {{fraction n of}}: "12 / 40" (enrolled of capacity,
// sessions attended of held), which an Arabic line would show "40 / 12".
func isolatedFraction(n, of int) template.HTML {
	return isolated(strconv.Itoa(n) + " / " + strconv.Itoa(of))
}

// isolatedText is {{codeText s}}: s between the Unicode isolate controls
// LRI and PDI, for text that cannot hold markup (an <option>, an attribute).
// The Arabic messages isolate their examples the same way ("⁦09:00⁩").
func isolatedText(s string) string {
	if s == "" {
		return ""
	}
	return "\u2066" + s + "\u2069"
}

// formatPercent writes a 0..1 rate as a whole percentage in the way of
// lang, per CLDR: French puts a narrow no-break space before the sign
// ("86 %"), English and Arabic with Western digits (Morocco, ar-MA) none
// ("86%"). The page writes it isolated left to right (Page.Percent), so the
// Arabic line shows "86%" and never "% 86".
func formatPercent(lang string, rate float64) string {
	n := strconv.FormatFloat(rate*100, 'f', 0, 64)
	if lang == "fr" {
		return n + "\u202f%"
	}
	return n + "%"
}

// formatDecimal writes a number with at most two decimals, in the way of
// lang: a decimal comma in French and in Moroccan Arabic (CLDR ar-MA), a
// point in English ("12,5" / "12.5").
func formatDecimal(lang string, x float64) string {
	s := strconv.FormatFloat(x, 'f', -1, 64)
	if r := strconv.FormatFloat(x, 'f', 2, 64); len(r) < len(s) {
		s = strings.TrimRight(strings.TrimRight(r, "0"), ".")
	}
	if lang != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// Percent is {{$.Percent rate}}: the rate in the page's language, isolated.
func (p *Page) Percent(rate float64) template.HTML { return isolated(formatPercent(p.Lang, rate)) }

// WholePercent is {{$.WholePercent 80}}: a percentage kept as a whole
// number (a course's completion threshold), like Percent.
func (p *Page) WholePercent(n int) template.HTML { return p.Percent(float64(n) / 100) }

// Decimal is {{$.Decimal x}}: a number with decimals (training hours) in
// the page's language, isolated.
func (p *Page) Decimal(x float64) template.HTML { return isolated(formatDecimal(p.Lang, x)) }

// isolateToken marks where an isolated argument goes in a message while it
// is translated and escaped (Page.TH): private-use characters, never typed.
const isolateOpen, isolateClose = "\ue000", "\ue001"

// TH translates key like T, for a message whose arguments include isolated
// values ({{$.TH "attendance.marked_by" "Name" .MarkedBy "At" (datetime .MarkedAt)}}):
// the message and its text arguments are escaped, the isolates kept. With
// T, the isolate's markup would show as text.
func (p *Page) TH(key string, args ...any) template.HTML {
	var kept []template.HTML
	plain := make([]any, len(args))
	copy(plain, args)
	for i := 1; i < len(plain); i += 2 {
		if h, ok := plain[i].(template.HTML); ok {
			plain[i] = isolateOpen + strconv.Itoa(len(kept)) + isolateClose
			kept = append(kept, h)
		}
	}
	out := template.HTMLEscapeString(p.tr.T(key, plain...))
	for i, h := range kept {
		out = strings.Replace(out, isolateOpen+strconv.Itoa(i)+isolateClose, string(h), 1)
	}
	return template.HTML(out)
}
