package domain

import "testing"

func TestCSVSeparatorForFollowsTheChoiceElseTheLanguage(t *testing.T) {
	for _, c := range []struct {
		chosen CSVSeparator
		lang   string
		want   CSVSeparator
	}{
		{"", "fr", SeparatorSemicolon}, {"", "ar", SeparatorSemicolon}, {"", "en", SeparatorComma},
		{SeparatorComma, "fr", SeparatorComma}, {SeparatorSemicolon, "en", SeparatorSemicolon},
		{"tab", "en", SeparatorComma},
	} {
		if got := CSVSeparatorFor(c.chosen, c.lang); got != c.want {
			t.Errorf("CSVSeparatorFor(%q, %q) = %q, want %q", c.chosen, c.lang, got, c.want)
		}
	}
}

func TestPhoneInPairsIsTextToEverySpreadsheet(t *testing.T) {
	for phone, want := range map[string]string{
		"0612345678":    "06 12 34 56 78",
		"+212612345678": "+212 6 12 34 56 78",
		"061234567":     "06 12 34 56 7",
		"":              "",
		"06-12":         "06-12", // not digits: as it is
	} {
		if got := PhoneInPairs(phone); got != want {
			t.Errorf("PhoneInPairs(%q) = %q, want %q", phone, got, want)
		}
	}
}

func TestSheetNameIsValidForExcel(t *testing.T) {
	for name, want := range map[string]string{
		"Présences":                        "Présences",
		"":                                 "Sheet1",
		"a/b:c[d]":                         "a b c d",
		"Tableau des présences de l'année": "Tableau des présences de l'anné",
		"  'x'  ":                          "x",
	} {
		if got := SheetName(name); got != want {
			t.Errorf("SheetName(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestColumnWidthFitsTheHeader(t *testing.T) {
	c := Column{Key: "marked_at", Width: 17}
	if w := ColumnWidth(c, "Présence saisie le"); w < 18 {
		t.Errorf("width %.1f for an 18-character header", w)
	}
	if w := ColumnWidth(c, "x"); w != 17 {
		t.Errorf("a short header keeps the column's width: %.1f", w)
	}
	if w := ColumnWidth(c, string(make([]rune, 200))); w != maxColumnWidth {
		t.Errorf("a long header stops at %d: %.1f", maxColumnWidth, w)
	}
}
