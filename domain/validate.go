package domain

import (
	"errors"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"
)

// validate checks the `validate` struct tags of our entities. Its errors are
// turned into message keys ("validation.<tag>") so that one set of message
// files translates them, with the field names, into Arabic, French and English.
var validate = newValidator()

func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	// Report fields by their JSON name: the name the API, forms and messages use.
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	// "text": no bidi control, control character or broken UTF-8 (CheckText).
	// Its message quotes the value, so checkTags gives it CheckText's key.
	if err := v.RegisterValidation("text", func(fl validator.FieldLevel) bool {
		return CheckText(fl.Field().String()) == nil
	}); err != nil {
		panic(err) // a constant tag name and function: cannot fail
	}
	return v
}

// checkTags validates s's struct tags and records each failure in p.
func checkTags(s any, p Problems) {
	err := validate.Struct(s)
	var fieldErrs validator.ValidationErrors
	if !errors.As(err, &fieldErrs) {
		return
	}
	for _, fe := range fieldErrs {
		if fe.Tag() == "text" {
			if bad := CheckText(reflect.Indirect(reflect.ValueOf(fe.Value())).String()); bad != nil {
				p.AddParam(fe.Field(), bad.Key, bad.Param)
				continue
			}
		}
		p.AddParam(fe.Field(), "validation."+fe.Tag(), fe.Param())
	}
}

// ValidationTags lists every validator tag our entities use whose message
// is "validation.<tag>": the i18n test checks that each has a message in
// every language. ("text" gives CheckText's keys, found in text.go.)
var ValidationTags = []string{"required", "min", "max", "gte", "lte", "email", "oneof", "gt"}
