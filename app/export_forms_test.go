package app

import "reflect"

// FormTypeFields lists the inputs of each form type (forms_internal_test.go,
// formTypes), for the test that compares them with the pages' inputs.
func FormTypeFields() map[string][]string {
	out := map[string][]string{}
	for name, zero := range formTypes {
		for _, f := range fieldsOf(reflect.TypeOf(zero)) {
			out[name] = append(out[name], f.name)
		}
	}
	return out
}
