package domain

import "slices"

// FoldedNames are the organisation's names as they are compared for
// duplicates (SearchKey of each: case, accents, harakat, hamza and tatweel,
// spaces do not count), without repeats. Two organisations of one kind
// (and one province, when both have one) sharing a folded name are one
// organisation (docs/DUPLICATES.md).
func (o *Organisation) FoldedNames() []string {
	var keys []string
	for _, n := range []*string{o.NameAr, o.NameFr} {
		if n == nil {
			continue
		}
		if k := SearchKey(*n); k != "" && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// OrganisationExists refuses to create an organisation that is already on
// record under a folded name (FoldedNames): Existing is the one to use
// instead. It is an ErrConflict (409), whose message names the existing one.
type OrganisationExists struct {
	Existing Organisation
	Field    string // the field of the name that matched: "name_ar" or "name_fr"
}

func (e *OrganisationExists) Error() string {
	return "organisation exists already (organisation.exists)"
}

// Unwrap makes it an ErrConflict for errors.Is.
func (e *OrganisationExists) Unwrap() error { return ErrConflict }
