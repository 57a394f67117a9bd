package domain

import "testing"

func TestSearchKeyIgnoresCaseAccentsAndDiacritics(t *testing.T) {
	same := [][2]string{
		{"fatima", "Fatima"},
		{"fatima", "Fátima"},
		{"فاطمة", "فَاطِمَة"},
		{"helene ait-lahcen", "Hélène Aït-Lahcen"},
		{"احمد", "أحمد"},
	}
	for _, pair := range same {
		if SearchKey(pair[0]) != SearchKey(pair[1]) {
			t.Errorf("SearchKey(%q) = %q, SearchKey(%q) = %q: want equal", pair[0], SearchKey(pair[0]), pair[1], SearchKey(pair[1]))
		}
	}
	if SearchKey("fatima") == SearchKey("fatema") {
		t.Error("different names must keep different keys")
	}
}

func TestPhoneIsKeptAsDigits(t *testing.T) {
	tr := Trainee{Phone: ptrTo("06 12-34.56 78")}
	tr.Normalize()
	if *tr.Phone != "0612345678" {
		t.Fatalf("got %q", *tr.Phone)
	}
}

func ptrTo(s string) *string { return &s }
