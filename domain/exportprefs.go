package domain

// CSVSeparator is the field separator of a user's CSV downloads.
type CSVSeparator string

// The separators a user may choose.
const (
	SeparatorComma     CSVSeparator = "comma"
	SeparatorSemicolon CSVSeparator = "semicolon"
)

// Valid reports whether s is a known separator.
func (s CSVSeparator) Valid() bool { return s == SeparatorComma || s == SeparatorSemicolon }

// CSVSeparatorFor is the separator of a user's CSV files: the one chosen,
// else the one a spreadsheet set up for the language splits on when the
// file is opened by a double click. Excel takes the list separator of the
// Windows region: ";" wherever the decimal mark is a comma, which is the
// case of French and of Morocco's Arabic (ar-MA) as of France; "," in
// English.
func CSVSeparatorFor(chosen CSVSeparator, lang string) CSVSeparator {
	if chosen.Valid() {
		return chosen
	}
	if lang == "en" {
		return SeparatorComma
	}
	return SeparatorSemicolon
}

// Script is the writing of the names a list is sorted by: a reader of
// Arabic finds people by their Arabic name, the others by their Latin one.
type Script string

// The two scripts of a trainee's names.
const (
	ArabicScript Script = "ar"
	LatinScript  Script = "latin"
)

// ScriptOf is the script a reader of lang sorts names in.
func ScriptOf(lang string) Script {
	if lang == "ar" {
		return ArabicScript
	}
	return LatinScript
}
