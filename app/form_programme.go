package app

import "takaffoul/domain"

// programmeForm is the form that adds a programme (views/pages/programmes/list.html).
type programmeForm struct {
	Code      string `form:"code"`
	NameAr    string `form:"name_ar"`
	NameFr    string `form:"name_fr"`
	NameEn    string `form:"name_en"`
	StartYear int    `form:"start_year"`
	EndYear   int    `form:"end_year"`
}

// programme is the programme the form describes.
func (f *programmeForm) programme() *domain.Programme {
	return &domain.Programme{Code: f.Code, NameAr: f.NameAr, NameFr: f.NameFr, NameEn: f.NameEn,
		StartYear: f.StartYear, EndYear: f.EndYear}
}
