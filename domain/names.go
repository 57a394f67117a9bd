package domain

// Names is one thing's name in each language it has one: a programme, a
// region, a province, a course's title, an organisation. Any of them may be
// empty (provinces and courses have no English name).
//
// Every page and file that shows a name to a person takes it from here,
// so that every reader of a language sees the same name:
//
//	p.Names().In(lang)          // Go
//	{{.Names.In $.Lang}}        // templates
type Names struct {
	Ar, Fr, En string
}

// In is the name in lang. When it has none in lang, the French name comes
// next (the ministry's second language, which English readers read too),
// then the Arabic, then the English one: a name is never left blank when
// one exists.
func (n Names) In(lang string) string {
	var own string
	switch lang {
	case "ar":
		own = n.Ar
	case "fr":
		own = n.Fr
	case "en":
		own = n.En
	}
	for _, name := range []string{own, n.Fr, n.Ar, n.En} {
		if name != "" {
			return name
		}
	}
	return ""
}

// Names is the programme's name in each language.
func (p Programme) Names() Names { return Names{Ar: p.NameAr, Fr: p.NameFr, En: p.NameEn} }

// Names is the region's name in each language.
func (r Region) Names() Names { return Names{Ar: r.NameAr, Fr: r.NameFr, En: r.NameEn} }

// Names is the province's name in each language (Arabic and French: the
// official ones).
func (p Province) Names() Names { return Names{Ar: p.NameAr, Fr: p.NameFr} }

// Title is the course's title in each language (Arabic and French).
func (c Course) Title() Names { return Names{Ar: c.TitleAr, Fr: c.TitleFr} }

// Names is the organisation's name in each language it was given in.
func (o Organisation) Names() Names { return Names{Ar: deref(o.NameAr), Fr: deref(o.NameFr)} }
