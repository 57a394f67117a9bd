package domain

import (
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
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r), r == 'ـ':
			continue // combining accents, harakat, superscript alef, tatweel
		case r == utf8.RuneError, unicode.IsControl(r) && !unicode.IsSpace(r):
			continue // bytes that are not text (a NUL, broken UTF-8) match nothing
		case unicode.IsSpace(r) || r == '-' || r == '\'':
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
	return norm.NFC.String(b.String())
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

// trimmed returns nil for a missing or blank optional text, else the text
// without surrounding spaces.
func trimmed(s *string) *string {
	if s == nil {
		return nil
	}
	t := strings.TrimSpace(*s)
	if t == "" {
		return nil
	}
	return &t
}
