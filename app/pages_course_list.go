package app

import (
	"slices"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"takaffoul/repository"
)

// courseListPageSize is the number of courses on one page of the list: 23
// demo courses made a 7,361 px page on a phone (issue 16).
const courseListPageSize = 20

// courseListForm is the course list's filter, a GET form whose values stay
// in the URL: a part of the code or title, the programme, year and
// province, and whether archived courses are listed too.
type courseListForm struct {
	Q         string `form:"q"`
	Programme string `form:"programme"`
	Year      *int   `form:"year"`
	Province  string `form:"province"`
	Archived  bool   `form:"archived"`
}

// filter is the store's filter for the form's values.
func (f courseListForm) filter() repository.CourseFilter {
	out := repository.CourseFilter{Search: f.Q, Programme: f.Programme, Province: f.Province, IncludeArchived: f.Archived}
	if f.Year != nil {
		out.Year = *f.Year
	}
	return out
}

// courseListData is one page of the course list with what its filter offers.
type courseListData struct {
	Courses        []repository.CourseSummary
	Selects        []filterSelect // programme, year, province
	Filtered       bool           // a filter is set: "no course" says "none matches"
	Previous, Next string         // links to the neighbouring pages; "" for none
	First, Last    int            // the rank of the page's first and last course
}

// coursesPage lists the courses of the user's scope (all for coordinators,
// a trainer's own for a trainer), a page at a time, as the filter narrows
// them. Everything happens on the server: it works without JavaScript and
// a filtered page is a link.
func (s *Server) coursesPage(c *fiber.Ctx) error {
	var in courseListForm
	form := readForm(c, &in)
	page, err := pageOf(c, courseListPageSize, courseListPageSize)
	if err != nil {
		return err
	}
	choices, _, err := s.filterChoices(c)
	if err != nil {
		return err
	}
	scope, err := s.scope(c)
	if err != nil {
		return err
	}
	courseYears, err := s.store.CourseYears(c.UserContext(), scope)
	if err != nil {
		return err
	}
	data := &courseListData{Selects: []filterSelect{choices[0], withYears(choices[1], courseYears), choices[3]}}
	if err := form.Check(nil); err != nil {
		return s.renderForm(c, "courses/list", data, form, err)
	}
	courses, err := s.store.Courses(c.UserContext(), scope, in.filter(), page.ask())
	if err != nil {
		return err
	}
	if len(courses) > page.limit {
		courses = courses[:page.limit]
		data.Next = pageLink(c, page.offset+page.limit)
	}
	if page.offset > 0 {
		data.Previous = pageLink(c, max(page.offset-page.limit, 0))
	}
	data.Courses = courses
	data.Filtered = in != courseListForm{}
	if len(courses) > 0 {
		data.First, data.Last = page.offset+1, page.offset+len(courses)
	}
	return s.renderForm(c, "courses/list", data, form, nil)
}

// withYears is the year filter sel with years added to its options, in
// order, each once.
func withYears(sel filterSelect, years []int) filterSelect {
	out := filterSelect{Name: sel.Name, Options: slices.Clone(sel.Options)}
	for _, y := range years {
		code := strconv.Itoa(y)
		if !slices.ContainsFunc(out.Options, func(o namedOption) bool { return o.Code == code }) {
			out.Options = append(out.Options, namedOption{code, code})
		}
	}
	slices.SortFunc(out.Options, func(a, b namedOption) int { return cmpYear(a.Code, b.Code) })
	return out
}

// cmpYear orders two years written in digits.
func cmpYear(a, b string) int {
	x, _ := strconv.Atoi(a)
	y, _ := strconv.Atoi(b)
	return x - y
}
