package app

import (
	"mime/multipart"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/nicksnyder/go-i18n/v2/i18n"

	"takaffoul/domain"
)

// Forms. A form type lists its fields once: a struct whose tagged fields
// are the form's inputs, in the order of the page, the tag being the
// input's name= and the Go type what the field means (miniflux's
// internal/ui/form is the model):
//
//	type programmeForm struct {
//		Code      string `form:"code"`
//		StartYear int    `form:"start_year"`
//	}
//
// readForm fills it from the request and returns the *Form the page shows
// again after a failed submit: what was typed, field by field, and the
// problems of reading it (a year that is not a number, a day that is not a
// date), each quoting what was typed. formOf shows stored values (an edit
// page, a form's defaults). The form type's own method makes the domain
// entity, whose Validate finds the rest; Form.Check merges both.
// forms_fields_test.go checks that each form type and its page name the
// same inputs.
//
// A field's type says how it is read:
//
//	string, domain.Sex…    as typed (the domain cleans it)
//	*string                trimmed; nil when left empty
//	int, int64             a whole number in any digits (domain.CleanNumber); 0 when empty
//	*int, *int64           the same, nil when empty
//	float64                a decimal number, with a dot, a comma or "٫"
//	bool                   a checkbox: "on" (or "true", "1", "yes") is ticked
//	domain.Date, *…        a day as people write it (domain.ParseDay): 31/03/2026
//	*multipart.FileHeader  an uploaded file (never shown again)
//
// The tag option "secret" (`form:"password,secret"`) keeps a field out of
// the values shown again: a password never comes back in a page.

// formField is one input of a form type.
type formField struct {
	name   string // the input's name=
	secret bool   // never shown again
	index  int    // the struct field
}

// fieldsOf lists the inputs of a form type, in the order they are declared.
func fieldsOf(t reflect.Type) []formField {
	var fields []formField
	for i := range t.NumField() {
		tag, ok := t.Field(i).Tag.Lookup("form")
		if !ok {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		fields = append(fields, formField{name: name, secret: opts == "secret", index: i})
	}
	return fields
}

var (
	dateType = reflect.TypeFor[domain.Date]()
	fileType = reflect.TypeFor[*multipart.FileHeader]()
)

// readForm fills the form type dst points to from the request (what was
// not sent is zero), and returns the form as the page shows it again.
func readForm(c *fiber.Ctx, dst any) *Form {
	v := reflect.ValueOf(dst).Elem()
	v.SetZero()
	fields := fieldsOf(v.Type())
	form := newForm(fields)
	for _, f := range fields {
		field := v.Field(f.index)
		if field.Type() == fileType {
			if header, err := c.FormFile(f.name); err == nil {
				field.Set(reflect.ValueOf(header))
			}
			continue
		}
		typed := c.FormValue(f.name)
		if problem := setField(field, typed); problem != nil {
			form.problems.AddParam(f.name, problem.Key, problem.Param)
		}
		if f.secret {
			continue
		}
		if field.Kind() == reflect.Bool {
			typed = checkbox(field.Bool())
		}
		form.Values[f.name] = echoed(typed)
	}
	return form
}

// setField reads typed into field, by the field's type; what does not read
// is a problem quoting it.
func setField(field reflect.Value, typed string) *domain.Problem {
	blank := domain.CleanNumber(typed) == "" // nothing visible typed
	if field.Kind() == reflect.Pointer {
		if blank {
			return nil // an optional field left empty: nil
		}
		field.Set(reflect.New(field.Type().Elem()))
		field = field.Elem()
		if field.Kind() == reflect.String {
			typed = strings.TrimSpace(typed)
		}
	}
	switch {
	case field.Type() == dateType:
		if blank {
			return nil
		}
		d, err := domain.ParseDay(typed)
		if err != nil {
			return &domain.Problem{Key: "form.date_format", Param: domain.Visible(typed)}
		}
		field.Set(reflect.ValueOf(d))
	case field.Kind() == reflect.String:
		field.SetString(typed)
	case field.Kind() == reflect.Bool:
		field.SetBool(isTicked(typed))
	case field.Kind() == reflect.Int || field.Kind() == reflect.Int64:
		if blank {
			return nil
		}
		n, err := strconv.ParseInt(domain.CleanNumber(typed), 10, 64)
		if err != nil || field.OverflowInt(n) {
			return &domain.Problem{Key: "text.not_a_number", Param: domain.Visible(typed)}
		}
		field.SetInt(n)
	case field.Kind() == reflect.Float64:
		if blank {
			return nil
		}
		f, err := strconv.ParseFloat(strings.ReplaceAll(domain.CleanNumber(typed), ",", "."), 64)
		if err != nil {
			return &domain.Problem{Key: "text.not_a_number", Param: domain.Visible(typed)}
		}
		field.SetFloat(f)
	default:
		panic("form field of an unsupported type " + field.Type().String()) // a programming error: forms_test.go reads every form type
	}
	return nil
}

// isTicked reads a checkbox.
func isTicked(typed string) bool {
	switch typed {
	case "on", "true", "1", "yes":
		return true
	}
	return false
}

// checkbox is a checkbox's value as the templates test it: "on" when ticked.
func checkbox(ticked bool) string {
	if ticked {
		return "on"
	}
	return ""
}

// formOf is the form showing the stored values of src, a form type (an
// edit page, a form's defaults): numbers in ASCII, days as people write
// them (31/03/2026), a zero number or an absent value as an empty field.
func formOf(src any) *Form {
	v := reflect.ValueOf(src)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	fields := fieldsOf(v.Type())
	form := newForm(fields)
	for _, f := range fields {
		if f.secret || v.Field(f.index).Type() == fileType {
			continue
		}
		form.Values[f.name] = shown(v.Field(f.index))
	}
	return form
}

// shown writes one field's value as its input shows it.
func shown(field reflect.Value) string {
	if field.Kind() == reflect.Pointer {
		if field.IsNil() {
			return ""
		}
		field = field.Elem()
		if field.Kind() == reflect.Int || field.Kind() == reflect.Int64 {
			return strconv.FormatInt(field.Int(), 10) // an optional 0 is a 0
		}
	}
	switch {
	case field.Type() == dateType:
		return field.Interface().(domain.Date).Local()
	case field.Kind() == reflect.String:
		return field.String()
	case field.Kind() == reflect.Bool:
		return checkbox(field.Bool())
	case field.Kind() == reflect.Int || field.Kind() == reflect.Int64:
		if field.Int() == 0 {
			return ""
		}
		return strconv.FormatInt(field.Int(), 10)
	case field.Kind() == reflect.Float64:
		if field.Float() == 0 {
			return ""
		}
		return strconv.FormatFloat(field.Float(), 'f', -1, 64)
	}
	panic("form field of an unsupported type " + field.Type().String())
}

// newForm is an empty form with the given inputs.
func newForm(fields []formField) *Form {
	form := &Form{Values: map[string]string{}, Errors: map[string]string{}, problems: domain.Problems{}}
	for _, f := range fields {
		form.Fields = append(form.Fields, f.name)
	}
	return form
}

// echoed is a typed value as a form shows it again: a field pasted full of
// megabytes gets its "too long" message, not a copy of itself.
func echoed(typed string) string {
	if len(typed) > maxEchoedValue {
		return ""
	}
	return typed
}

// Check is what is wrong with the form: the problems of reading it merged
// with what validating its value found (validation, the entity's Validate:
// a *domain.ValidationError or nil), so that the page shows every problem
// at once. nil when both are clean.
func (f *Form) Check(validation error) error { return withProblems(f.problems, validation) }

// withProblems merges what form parsing found with another answer (a
// validation, the store's), so that a form shows every problem at once.
func withProblems(p domain.Problems, err error) error {
	if len(p) == 0 {
		return err
	}
	if v, ok := domain.AsValidation(err); ok {
		for field, problem := range v.Fields {
			p.AddParam(field, problem.Key, problem.Param)
		}
	}
	return p.Err()
}

// SummaryItem is one line of the error summary at the top of a form after
// a failed submit (partials/form_message).
type SummaryItem struct {
	Href string // "#f-<field>", the field's input, when the form has it
	Text string // the field's name and what is wrong with it
}

// errorSummary lists what is wrong with the form, in the order of its fields,
// then the problems of fields it does not show (sorted): each line names
// its field, unless the message says it already, and links to it.
func errorSummary(t *Translator, f *Form) []SummaryItem {
	items := make([]SummaryItem, 0, len(f.Errors))
	listed := map[string]bool{}
	for _, field := range f.Fields {
		if msg, ok := f.Errors[field]; ok && !listed[field] {
			listed[field] = true
			items = append(items, SummaryItem{Href: "#f-" + field, Text: namedProblem(t, field, msg)})
		}
	}
	others := make([]string, 0, len(f.Errors))
	for field := range f.Errors {
		if !listed[field] {
			others = append(others, field)
		}
	}
	sort.Strings(others)
	for _, field := range others {
		items = append(items, SummaryItem{Text: namedProblem(t, field, f.Errors[field])})
	}
	return items
}

// namedProblem is "Capacity: “abc” is not a number.": the message with the
// name of its field first, when the field has a name and the message does
// not say it.
func namedProblem(t *Translator, field, msg string) string {
	name, err := t.localizer.Localize(&i18n.LocalizeConfig{MessageID: "field." + field})
	if err != nil || name == "" || strings.Contains(msg, name) {
		return msg
	}
	return t.T("form.summary_line", "Field", name, "Message", msg)
}

// queryInt reads an optional integer from the query string in any digits
// people type; 0 when absent or not a number, as Fiber's QueryInt.
func queryInt(c *fiber.Ctx, key string) int {
	n, err := strconv.Atoi(domain.CleanNumber(c.Query(key)))
	if err != nil {
		return 0
	}
	return n
}

// optionalDate reads a "2006-01-02" day that may be left empty (a query
// string's); a day written otherwise is recorded in p.
func optionalDate(field, value string, p domain.Problems) domain.Date {
	v := domain.CleanNumber(value)
	if v == "" {
		return domain.Date{}
	}
	d, err := domain.ParseDate(v)
	if err != nil {
		p.Add(field, "validation.date_format")
	}
	return d
}
