package domain

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// arabicFolds maps Arabic letter variants that people type interchangeably to
// one form, so that a search does not depend on how a clerk spelled a hamza.
var arabicFolds = map[rune]rune{
	'أ': 'ا', 'إ': 'ا', 'آ': 'ا', 'ٱ': 'ا',
	'ى': 'ي', 'ئ': 'ي',
	'ؤ': 'و',
	'ة': 'ه',
}

// SearchKey folds a name or a query for comparison: lower case, no Latin
// accents, no Arabic diacritics (harakat) or tatweel, Arabic letter variants
// unified and spaces collapsed. "Fátima" and "fatima" give the same key, and
// so do "فَاطِمَة" and "فاطمة".
func SearchKey(s string) string {
	if plainScript(s) {
		return foldKey(s) // as below, without normalising what is normal already
	}
	return norm.NFC.String(foldKey(norm.NFD.String(s)))
}

// foldKey is SearchKey on decomposed text (or on plain script, whose
// letters with a hamza arabicFolds unifies as the decomposition would).
func foldKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Mn, r), r == 'ـ':
			continue // combining accents, harakat, superscript alef, tatweel
		case r == utf8.RuneError, unicode.IsControl(r) && !unicode.IsSpace(r):
			continue // bytes that are not text (a NUL, broken UTF-8) match nothing
		case unicode.Is(unicode.Cf, r), isFiller(r):
			continue // invisible: "Ali" typed with a zero-width space is still "Ali"
		case unicode.IsSpace(r) || isApostropheOrDash(r):
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		if folded, ok := arabicFolds[r]; ok {
			r = folded
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// plainScript reports whether s is ASCII and Arabic letters (U+0621–U+064A)
// only, as most names are: text that NFC leaves as it is, and that NFD
// leaves as it is but for the letters with a hamza or a madda (أ إ آ ؤ ئ),
// which SearchKey's folds unify with their base letter anyway. For it the
// normalisations' table lookups are skipped: they were a quarter of the
// Go time of a 100,000-row import (a CPU profile of BenchmarkImport100k).
// TestPlainScriptNeedsNoNormalising holds SearchKey and cleanLine to the
// normalised result on every such character.
func plainScript(s string) bool {
	for _, r := range s {
		if r >= utf8.RuneSelf && (r < '\u0621' || r > '\u064A') {
			return false
		}
	}
	return true
}

// isApostropheOrDash reports the apostrophes and dashes that separate the
// parts of a name, in the forms keyboards, phones and word processors type
// them: "l'enfance" and "l’enfance" are one name, and so are "Aït-Lahcen"
// and "Aït–Lahcen". Stored keys were folded again for it (migration 00036).
func isApostropheOrDash(r rune) bool {
	switch r {
	case '\'', '’', '‘', 'ʼ', '`', '´', // apostrophes
		'-', '‐', '‑', '‒', '–', '—', '―', '−': // hyphens, dashes, minus
		return true
	}
	return false
}

// digitsOnly keeps the leading + and the digits of a phone number as people
// type it ("06 12-34.56 78" → "0612345678").
func digitsOnly(s string) string {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		if (r >= '0' && r <= '9') || (r == '+' && i == 0) {
			b.WriteRune(r)
		} else if !strings.ContainsRune(" -./()", r) {
			return s // not a phone number: keep it so that validation reports it
		}
	}
	return b.String()
}

// Text hygiene: what a person types — in a page, through the API or in an
// imported file — is tidied here before it is validated, so that a name can
// never be displayed other than as it is stored. Per kind of character
// (docs/SECURITY.md, "Text hygiene", says why):
//
//   - Bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069)
//     are refused with a message that shows where they are: they reorder
//     what is displayed ("Ali \u202Efdp.exe" shows as "Ali exe.pdf"), so
//     removing them silently would store something else than what the
//     typist saw.
//   - Broken UTF-8, U+FFFD (the trace of an earlier broken conversion) and
//     control characters other than tab and line breaks are refused: the
//     text was damaged before it reached us.
//   - Every other invisible format character is removed: zero-width space,
//     word joiner, BOM, soft hyphen, the marks LRM, RLM and ALM, tags, and
//     the Hangul fillers that draw nothing. Removing them changes nothing
//     the typist saw, and keeps "Ali" and "Ali\u200B" one person.
//     ZWNJ and ZWJ are kept between two Arabic-script letters, where
//     Persian and Urdu use them to break or force a join (visible there),
//     and removed elsewhere.
//   - Any space (no-break, thin, ideographic…) becomes a plain space, runs
//     of spaces one space; line breaks become spaces except in free text
//     that may hold several lines.
//   - The result is in Unicode NFC, so that an "é" typed as e + U+0301 and
//     one typed as U+00E9 are the same letter.
//   - Numbers, codes and identifiers (CleanNumber) keep only visible
//     characters, with Arabic-Indic (٠–٩) and Persian (۰–۹) digits made ASCII.

const (
	zeroWidthNonJoiner = '\u200C'
	zeroWidthJoiner    = '\u200D'
)

// isBidiControl reports the characters that change the display order of
// what follows them: embeddings, overrides and isolates.
func isBidiControl(r rune) bool {
	return (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069')
}

// isFiller reports the Hangul fillers: letters that draw nothing, used to
// make a name look blank.
func isFiller(r rune) bool {
	return r == '\u115F' || r == '\u1160' || r == '\u3164' || r == '\uFFA0'
}

// isNoise reports an invisible character that is removed from what people type.
func isNoise(r rune) bool {
	return (unicode.Is(unicode.Cf, r) && !isBidiControl(r)) || isFiller(r)
}

func isLineBreak(r rune) bool {
	return r == '\n' || r == '\r' || r == '\v' || r == '\f' || r == '\u0085' || r == '\u2028' || r == '\u2029'
}

func isArabicLetter(r rune) bool { return unicode.Is(unicode.Arabic, r) && unicode.IsLetter(r) }

// cleanLine tidies one line of text (a name, a title, a place): noise
// removed, white space evened out, NFC. What CheckText refuses is kept in
// place for it to report; a text that is not UTF-8 is left as it is (it
// will be refused, and removing a character between broken bytes could
// join them into one).
func cleanLine(s string) string {
	if !utf8.ValidString(s) {
		return s
	}
	return nfc(tidy(s, false))
}

// cleanParagraph is cleanLine for free text that may hold several lines.
func cleanParagraph(s string) string {
	if !utf8.ValidString(s) {
		return s
	}
	return nfc(tidy(s, true))
}

// nfc is norm.NFC.String, skipped for plain script (already NFC).
func nfc(s string) string {
	if plainScript(s) {
		return s
	}
	return norm.NFC.String(s)
}

// cleanOptional is cleanLine for an optional field: nil when blank.
func cleanOptional(s *string) *string {
	if s == nil {
		return nil
	}
	if t := cleanLine(*s); t != "" {
		return &t
	}
	return nil
}

// tidy removes noise and evens out white space in valid UTF-8, trimming
// both ends; multiline keeps line breaks (as \n) instead of turning them
// into spaces.
func tidy(s string, multiline bool) string {
	var b strings.Builder
	b.Grow(len(s))
	base := rune(-1) // the last character kept that is not a combining mark
	space, breaks := false, 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		raw := s[i : i+size]
		i += size
		next, _ := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\r' && next == '\n':
			continue // CRLF is one line break
		case isLineBreak(r) && multiline:
			breaks, base = breaks+1, ' '
			continue
		case unicode.IsSpace(r):
			space, base = true, ' '
			continue
		case r == zeroWidthNonJoiner || r == zeroWidthJoiner:
			if !isArabicLetter(base) || !isArabicLetter(next) {
				continue
			}
		case isNoise(r):
			continue
		}
		if b.Len() > 0 {
			if breaks > 0 {
				b.WriteString(strings.Repeat("\n", breaks))
			} else if space {
				b.WriteByte(' ')
			}
		}
		space, breaks = false, 0
		b.WriteString(raw)
		if !unicode.Is(unicode.Mn, r) {
			base = r
		}
	}
	return b.String()
}

// TextError is a text refused by CheckText: Key is the message key, Param
// the text with its invisible characters made visible (Visible), for the
// message to quote.
type TextError struct {
	Key   string
	Param string
}

func (e *TextError) Error() string { return e.Key + ": " + e.Param }

// CheckText refuses a text that holds broken UTF-8 or U+FFFD, a bidi
// control, or a control character other than tab and line feed; nil if
// the text is fine. Tidy it first (the entities' Normalize and Validate do).
func CheckText(s string) *TextError {
	for _, r := range s {
		var key string
		switch {
		case r == utf8.RuneError:
			key = "text.broken_encoding"
		case isBidiControl(r):
			key = "text.direction_control"
		case unicode.IsControl(r) && r != '\n' && r != '\t':
			key = "text.control_character"
		default:
			continue
		}
		return &TextError{Key: key, Param: Visible(s)}
	}
	return nil
}

// CleanText is the whole treatment of one line of text typed by a person:
// tidied, then checked. The error, if any, is a *TextError.
func CleanText(s string) (string, error) {
	clean := cleanLine(s)
	if bad := CheckText(clean); bad != nil {
		return clean, bad
	}
	return clean, nil
}

// CleanNumber reads a number, a code or an identifier as a person typed it:
// every invisible character removed (bidi controls too: what remains must be
// ASCII, which cannot be displayed reordered), spaces made plain and
// trimmed, Arabic-Indic and Persian digits made ASCII and the Arabic decimal
// separator (٫) a dot. "٢٠١٩" is "2019"; "\u202A+212 6…\u202C", as phones
// copy a number, is "+212 6…".
func CleanNumber(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case isBidiControl(r), isNoise(r):
			return -1
		case r == '\u066B':
			return '.'
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, s)
	return strings.TrimSpace(ASCIIDigits(s))
}

// ASCIIDigits writes Arabic-Indic (٠–٩, U+0660–U+0669) and Persian (۰–۹,
// U+06F0–U+06F9) digits as ASCII digits, leaving everything else alone.
func ASCIIDigits(s string) string {
	eastern := func(r rune) bool { return (r >= '٠' && r <= '٩') || (r >= '۰' && r <= '۹') }
	if !strings.ContainsFunc(s, eastern) {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '٠' && r <= '٩':
			return '0' + r - '٠'
		case r >= '۰' && r <= '۹':
			return '0' + r - '۰'
		}
		return r
	}, s)
}

// visibleWindow is how many characters of a refused text a message quotes,
// around the first invisible one.
const visibleWindow = 60

// Visible writes s for a message that quotes it: each invisible character
// as <U+202E>, each broken byte as <0xFF>, so that "Ali \u202Efdp.exe" reads
// "Ali <U+202E>fdp.exe" and not "Ali exe.pdf". A long text is cut to a
// window around its first invisible character, with "…" where it was cut.
func Visible(s string) string {
	first, count := -1, 0
	for i := 0; i < len(s); count++ {
		r, size := utf8.DecodeRuneInString(s[i:])
		if first < 0 && invisible(r) {
			first = count
		}
		i += size
	}
	start := max(0, first-visibleWindow/3)
	end := min(count, start+visibleWindow)
	var b strings.Builder
	if start > 0 {
		b.WriteString("…")
	}
	n := 0
	for i := 0; i < len(s) && n < end; n++ {
		r, size := utf8.DecodeRuneInString(s[i:])
		if n >= start {
			switch {
			case r == utf8.RuneError && size == 1:
				fmt.Fprintf(&b, "<0x%02X>", s[i])
			case invisible(r):
				fmt.Fprintf(&b, "<U+%04X>", r)
			default:
				b.WriteString(s[i : i+size])
			}
		}
		i += size
	}
	if end < count {
		b.WriteString("…")
	}
	return b.String()
}

// invisible reports what a reader cannot see, or cannot tell from a space.
func invisible(r rune) bool {
	return r == utf8.RuneError || !unicode.IsGraphic(r) || (unicode.Is(unicode.Zs, r) && r != ' ') || isFiller(r)
}

// cleanCell is the text of an imported cell, read as the same field typed
// into a form would be: a number in any digits, other text tidied and
// checked. A refusal is recorded with problem; the value is still returned,
// so that the cell gets no second problem (the row is refused anyway).
func cleanCell(column, raw string, problem func(column, key, param string)) string {
	switch column {
	case "phone", "national_id", "birth_year":
		return CleanNumber(raw)
	}
	value := ASCIIDigits(cleanLine(raw)) // Arabic-Indic and Persian digits in every field
	if bad := CheckText(value); bad != nil {
		problem(column, bad.Key, bad.Param)
	}
	return value
}
