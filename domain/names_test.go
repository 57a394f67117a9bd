package domain

import "testing"

func TestNamesInTheReadersLanguage(t *testing.T) {
	all := Names{Ar: "التربية الوالدية الإيجابية", Fr: "Parentalité positive", En: "Positive parenting"}
	noEnglish := Names{Ar: "عمالة الرباط", Fr: "Préfecture de Rabat"}
	onlyArabic := Names{Ar: "جمعية الأمل"}
	onlyEnglish := Names{En: "Hope"}
	cases := []struct {
		names      Names
		lang, want string
	}{
		{all, "ar", all.Ar}, {all, "fr", all.Fr}, {all, "en", all.En},
		{noEnglish, "en", noEnglish.Fr}, // English readers get French, the ministry's second language
		{onlyArabic, "fr", onlyArabic.Ar}, {onlyArabic, "en", onlyArabic.Ar},
		{onlyEnglish, "ar", "Hope"},
		{all, "xx", all.Fr},
		{Names{}, "ar", ""},
	}
	for _, c := range cases {
		if got := c.names.In(c.lang); got != c.want {
			t.Errorf("%+v in %s: want %q, got %q", c.names, c.lang, c.want, got)
		}
	}
}

func TestEntitiesGiveTheirNames(t *testing.T) {
	fr := "Association Espoir"
	p := Programme{NameAr: "أ", NameFr: "B", NameEn: "C"}
	if p.Names().In("en") != "C" || (Region{NameAr: "أ", NameFr: "B", NameEn: "C"}).Names().In("ar") != "أ" ||
		(Province{NameAr: "أ", NameFr: "B"}).Names().In("en") != "B" ||
		(Course{TitleAr: "أ", TitleFr: "B"}).Title().In("ar") != "أ" ||
		(Organisation{NameFr: &fr}).Names().In("ar") != fr {
		t.Error("an entity's names are not its fields")
	}
}
