package domain

import (
	"regexp"
	"strings"
)

var (
	codePattern       = regexp.MustCompile(`^[a-z0-9-]{1,60}$`)
	courseCodePattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,60}$`)
)

// ValidateProvince checks a province before it is stored.
func ValidateProvince(p *Province) error {
	p.Code = CleanNumber(p.Code)
	p.NameAr, p.NameFr = cleanLine(p.NameAr), cleanLine(p.NameFr)
	problems := Problems{}
	checkTags(p, problems)
	if p.Code != "" && !codePattern.MatchString(p.Code) {
		problems.Add("code", "validation.code_format")
	}
	return problems.Err()
}

// Validate checks a programme before it is stored.
func (p *Programme) Validate() error {
	p.Code = strings.ToLower(CleanNumber(p.Code))
	p.NameAr, p.NameFr, p.NameEn = cleanLine(p.NameAr), cleanLine(p.NameFr), cleanLine(p.NameEn)
	problems := Problems{}
	checkTags(p, problems)
	if p.Code != "" && !codePattern.MatchString(p.Code) {
		problems.Add("code", "validation.code_format")
	}
	if p.EndYear != 0 && p.EndYear < p.StartYear {
		problems.Add("end_year", "programme.end_before_start")
	}
	return problems.Err()
}

// Validate checks a course before it is stored.
func (c *Course) Validate() error {
	c.Code = CleanNumber(c.Code)
	c.TitleAr, c.TitleFr = cleanLine(c.TitleAr), cleanLine(c.TitleFr)
	c.Province = strings.ToLower(CleanNumber(c.Province))
	if c.CompletionThreshold == 0 {
		c.CompletionThreshold = 80
	}
	problems := Problems{}
	checkTags(c, problems)
	if c.Code != "" && !courseCodePattern.MatchString(c.Code) {
		problems.Add("code", "validation.code_format")
	}
	if c.StartDate.IsZero() {
		problems.Add("start_date", "validation.required")
	}
	if c.EndDate.IsZero() {
		problems.Add("end_date", "validation.required")
	}
	if !c.StartDate.IsZero() && c.EndDate.Before(c.StartDate.Time) {
		problems.Add("end_date", "course.end_before_start")
	}
	return problems.Err()
}

// Validate checks a session before it is stored.
func (s *Session) Validate() error {
	s.Place = cleanLine(s.Place)
	problems := Problems{}
	checkTags(s, problems)
	if !s.StartsAt.IsZero() && !s.EndsAt.After(s.StartsAt) {
		problems.Add("ends_at", "session.ends_before_start")
	}
	return problems.Err()
}

// Validate checks an organisation before it is stored.
func (o *Organisation) Validate() error {
	o.NameAr, o.NameFr = cleanOptional(o.NameAr), cleanOptional(o.NameFr)
	o.Province, o.RegistrationNumber = cleanOptional(o.Province), cleanOptional(o.RegistrationNumber)
	if o.RegistrationNumber != nil {
		n := ASCIIDigits(*o.RegistrationNumber)
		o.RegistrationNumber = &n
	}
	problems := Problems{}
	checkTags(o, problems)
	if o.NameAr == nil && o.NameFr == nil {
		problems.Add("name_ar", "organisation.name_required")
		problems.Add("name_fr", "organisation.name_required")
	}
	return problems.Err()
}

// NameKey is the folded form of both names, for search.
func (o *Organisation) NameKey() string {
	var parts []string
	for _, n := range []*string{o.NameAr, o.NameFr} {
		if n != nil {
			parts = append(parts, SearchKey(*n))
		}
	}
	return strings.Join(parts, " | ")
}
