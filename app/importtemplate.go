package app

import (
	"bytes"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// importTemplate answers GET …/imports/template.xlsx: a blank participant
// list in the user's language (domain.WriteImportTemplate), whose headers,
// drop-down values and example row the import reads back as they are.
func (s *Server) importTemplate(c *fiber.Ctx) error {
	t := s.tr(c)
	ctx := c.UserContext()
	organisations, err := s.allOrganisations(c)
	if err != nil {
		return err
	}
	provinces, err := s.store.Provinces(ctx)
	if err != nil {
		return err
	}
	tpl := domain.ImportTemplate{
		Sheet:      t.T("importjobs.template_sheet"),
		ListsSheet: t.T("importjobs.lists_sheet"),
		Categories: make([]string, len(domain.Categories)),
		Sexes:      []string{t.T("export.sex.female"), t.T("export.sex.male")},
		Consent:    []string{t.T("importjobs.yes"), t.T("importjobs.no")},
		OrganisationHeaders: []string{t.T("importjobs.list.id"), t.T("importjobs.list.organisation"),
			t.T("importjobs.list.kind"), t.T("importjobs.list.registration")},
		ProvinceHeaders: []string{t.T("importjobs.list.code"), t.T("importjobs.list.province")},
	}
	for i, cat := range domain.Categories {
		tpl.Categories[i] = t.T("export.category." + string(cat))
	}
	for _, column := range domain.ImportColumns {
		tpl.Headers = append(tpl.Headers, t.T("importjobs.col."+column))
	}
	exampleOrganisation := ""
	for _, o := range organisations {
		name := organisationName(o, t.Lang)
		if exampleOrganisation == "" && o.Kind == domain.Institution {
			exampleOrganisation = name
		}
		tpl.Organisations = append(tpl.Organisations, []string{strconv.FormatInt(o.ID, 10), name,
			t.T("importjobs.kind." + string(o.Kind)), deref(o.RegistrationNumber)})
	}
	exampleProvince := ""
	for i, p := range provinces {
		name := p.NameFr
		if t.Lang == "ar" {
			name = p.NameAr
		}
		if i == 0 {
			exampleProvince = name
		}
		tpl.Provinces = append(tpl.Provinces, []string{p.Code, name})
	}
	// An institutional actor: the category every column of the list fits.
	example := map[string]string{
		"category": tpl.Categories[0], "full_name_ar": t.T("importjobs.example.name_ar"),
		"full_name_latin": t.T("importjobs.example.name_latin"), "sex": tpl.Sexes[0], "birth_year": "1990",
		"organisation": exampleOrganisation, "province": exampleProvince, "phone": "0612345678",
		"email": "amina.alaoui@example.ma", "national_id": "AB123456",
	}
	for _, column := range domain.ImportColumns {
		tpl.Example = append(tpl.Example, example[column])
	}
	var out bytes.Buffer
	if err := domain.WriteImportTemplate(&out, tpl); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, domain.XLSX.ContentType())
	c.Set(fiber.HeaderContentDisposition, attachment(t.T("importjobs.template_filename")+".xlsx"))
	return c.Send(out.Bytes())
}

// allOrganisations reads every organisation, a page at a time.
func (s *Server) allOrganisations(c *fiber.Ctx) ([]domain.Organisation, error) {
	var all []domain.Organisation
	for offset := 0; ; offset += repository.MaxRows {
		page, err := s.store.Organisations(c.UserContext(), "", "", repository.Page{Limit: repository.MaxRows, Offset: offset})
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if len(page) < repository.MaxRows {
			return all, nil
		}
	}
}

// organisationName is an organisation's name in lang, or its other one.
func organisationName(o domain.Organisation, lang string) string {
	ar, fr := deref(o.NameAr), deref(o.NameFr)
	if (lang == "ar" && ar != "") || fr == "" {
		return ar
	}
	return fr
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
