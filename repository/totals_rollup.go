package repository

import (
	"encoding/json"
	"fmt"
	"math"
	"sync"
)

// The cube's arithmetic, done in Go for the folder, the reads and the
// rebuild alike: one definition of the roll-ups and of counting people and
// associations into cube rows. (In SQL, expanding each cell into its twelve
// roll-ups cost about a microsecond a row: most of a fold, and of a read
// while trainers enrol.) The SQL around it (totals_fold.go) reads cells and
// writes rows; it counts nothing.

// cubeCell is a place/time cell of the cube; 0 is "all".
type cubeCell struct {
	Programme int64 `db:"programme_id" json:"programme_id"`
	Year      int16 `db:"year" json:"year"`
	Region    int16 `db:"region_id" json:"region_id"`
	Province  int64 `db:"province_id" json:"province_id"`
}

// rollups is the one definition of the roll-ups: the twelve cells of the
// cube in which a base cell (a course's programme, year, region and
// province) counts, (its programme | all) × (its year | all) × (its
// province | its region | all).
func (c cubeCell) rollups() [12]cubeCell {
	var out [12]cubeCell
	i := 0
	for _, p := range [2]int64{c.Programme, 0} {
		for _, y := range [2]int16{c.Year, 0} {
			for _, place := range [3]cubeCell{{Region: c.Region, Province: c.Province}, {Region: c.Region}, {}} {
				out[i] = cubeCell{Programme: p, Year: y, Region: place.Region, Province: place.Province}
				i++
			}
		}
	}
	return out
}

// readBy reports whether a read of cell f may look at roll-up r: r is f
// with at most one of programme, year and place (region and province)
// changed. The headline is f; a breakdown's rows change one of them.
func (f cubeCell) readBy(r cubeCell) bool {
	samePlace := r.Region == f.Region && r.Province == f.Province
	return r.Programme == f.Programme && r.Year == f.Year ||
		r.Year == f.Year && samePlace ||
		r.Programme == f.Programme && samePlace
}

// cubeKey is a row of the cubes: a cell, a category and a sex (empty for
// any member, on association rows).
type cubeKey struct {
	cubeCell
	Category attribute `db:"category" json:"category"`
	Sex      attribute `db:"sex" json:"sex"`
}

// attribute is a category or a sex as the cubes count it ("" for any
// member), interned: the counting hashes one for every roll-up of every
// cell, and a small number hashes much faster than a string. The values
// are few (the database's CHECK constraints name them).
type attribute uint8

var attributes = struct {
	sync.RWMutex
	codes map[string]attribute
	names []string
}{codes: map[string]attribute{"": 0}, names: []string{""}}

// attributeOf interns s.
func attributeOf(s string) (attribute, error) {
	attributes.RLock()
	a, ok := attributes.codes[s]
	attributes.RUnlock()
	if ok {
		return a, nil
	}
	attributes.Lock()
	defer attributes.Unlock()
	if a, ok := attributes.codes[s]; ok {
		return a, nil
	}
	if len(attributes.names) > math.MaxUint8 {
		return 0, fmt.Errorf("more than %d categories and sexes", math.MaxUint8)
	}
	a = attribute(len(attributes.names))
	attributes.codes[s] = a
	attributes.names = append(attributes.names, s)
	return a, nil
}

func (a attribute) String() string {
	attributes.RLock()
	defer attributes.RUnlock()
	return attributes.names[a]
}

// Scan reads a category or sex column.
func (a *attribute) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("a category or sex of type %T", src)
	}
	var err error
	*a, err = attributeOf(s)
	return err
}

func (a attribute) MarshalJSON() ([]byte, error) { return json.Marshal(a.String()) }

// cell is a base cell of a person or an association, with a sign: +1
// counted in (as it is now), −1 counted out (as stored). A person's is a
// row of totals_person_cells
// (or of what it is to be); an association's, of totals_assoc_cells (its
// members of one category and sex in the base cell; no completion, no
// marks).
type cell struct {
	Sign int   `db:"sign" json:"-"`
	ID   int64 `db:"id" json:"id"` // the person's, or the association's
	cubeCell
	Category      attribute `db:"category" json:"category"`
	Sex           attribute `db:"sex" json:"sex"`
	AssociationID int64     `db:"association_id" json:"association_id"` // a person's, as counted (0: none)
	Enrolled      bool      `db:"enrolled" json:"enrolled"`
	Trained       bool      `db:"trained" json:"trained"`
	Completed     bool      `db:"completed" json:"completed"`
	AttendedMarks int64     `db:"attended_marks" json:"attended_marks"`
	Marks         int64     `db:"marks" json:"marks"`
	Present       bool      `db:"present" json:"-"` // false: a touched association cell no member is left in
}

// key is the cell's place, time, category and sex.
func (c cell) key() cubeKey { return cubeKey{cubeCell: c.cubeCell, Category: c.Category, Sex: c.Sex} }

// sameSide says whether two cells are of one person (or association) and
// sign: counted together.
func sameSide(a, b cell) bool { return a.Sign == b.Sign && a.ID == b.ID }

// peopleCounts is what a totals_cube row counts.
type peopleCounts struct {
	People        int   `db:"people" json:"people"`
	Enrolled      int   `db:"enrolled" json:"enrolled"`
	Trained       int   `db:"trained" json:"trained"`
	Completed     int   `db:"completed" json:"completed"`
	AttendedMarks int64 `db:"attended_marks" json:"attended_marks"`
	Marks         int64 `db:"marks" json:"marks"`
}

// assocCounts is what a totals_assoc_cube row counts.
type assocCounts struct {
	Associations int `json:"associations"`
	Enrolled     int `json:"enrolled"`
	Trained      int `json:"trained"`
}

// peopleCube is cube rows being counted: the cube itself, or what some
// people's change moves in it.
type peopleCube map[cubeKey]*peopleCounts

// addPerson counts one person's cells (one sign) into the rows: once per
// roll-up and category they were enrolled as, their flags OR-ed and their
// marks summed over their cells there. This is where someone trained in two
// provinces of a region becomes one person in the region's row (and someone
// enrolled as a child one year and as an adult later is one of each). keep,
// if not nil, says which rows to count.
func (q peopleCube) addPerson(cells []cell, keep *rowFilter) {
	type counted struct {
		cubeCell
		category                     attribute
		enrolled, trained, completed bool
		attended, marks              int64
	}
	var rows []counted // a person has a handful of cells: a slice beats a map
	for _, c := range cells {
		for _, r := range c.rollups() {
			if !keep.countsRollup(r) {
				continue
			}
			i := 0
			for i < len(rows) && (rows[i].cubeCell != r || rows[i].category != c.Category) {
				i++
			}
			if i == len(rows) {
				rows = append(rows, counted{cubeCell: r, category: c.Category})
			}
			row := &rows[i]
			row.enrolled, row.trained, row.completed = row.enrolled || c.Enrolled, row.trained || c.Trained, row.completed || c.Completed
			row.attended += c.AttendedMarks
			row.marks += c.Marks
		}
	}
	first := cells[0] // one person: one sign and sex
	for _, row := range rows {
		k := cubeKey{cubeCell: row.cubeCell, Category: row.category, Sex: first.Sex}
		if !keep.counts(k) {
			continue
		}
		n := q[k]
		if n == nil {
			n = &peopleCounts{}
			q[k] = n
		}
		n.People += first.Sign
		n.Enrolled += first.Sign * b2i(row.enrolled)
		n.Trained += first.Sign * b2i(row.trained)
		n.Completed += first.Sign * b2i(row.completed)
		n.AttendedMarks += int64(first.Sign) * row.attended
		n.Marks += int64(first.Sign) * row.marks
	}
}

// rowFilter says which cube rows to count (nil: all; a read counts only
// the rows it looks at): rollup, the place and time cells, asked once per
// roll-up of a cell before anything is counted there; row, the rows of
// those.
type rowFilter struct {
	rollup func(cubeCell) bool
	row    func(cubeKey) bool
}

func (f *rowFilter) countsRollup(r cubeCell) bool { return f == nil || f.rollup(r) }

func (f *rowFilter) counts(k cubeKey) bool { return f == nil || f.row(k) }

// addPeople counts cells sorted by person and sign.
func (q peopleCube) addPeople(cells []cell, keep *rowFilter) {
	eachRun(cells, sameSide, func(run []cell) { q.addPerson(run, keep) })
}

// assocCube is association cube rows being counted.
type assocCube map[cubeKey]*assocCounts

// addAssociation counts one association's cells, with sign, into the rows:
// once per roll-up and member variant (the members' category or any × their
// sex or any: the association cube is read at a category and a sex), its
// flags OR-ed over its cells there. keep, if not nil, says which rows to
// count.
//
// A changed association's cells are counted twice per fold and per read
// (before and after), tens to hundreds of them: each cell is looked up once
// per roll-up (12 map operations), the flags kept per member category and
// sex in a short slice, and the four variants made once per roll-up, not
// once per cell (48 lookups and 48 stores a cell before).
func (q assocCube) addAssociation(sign int, cells []cell, keep *rowFilter) {
	rollups := make(map[cubeCell][]memberFlags, 4*len(cells))
	for _, c := range cells {
		for _, r := range c.rollups() {
			if keep.countsRollup(r) {
				rollups[r] = orMember(rollups[r], c)
			}
		}
	}
	for r, members := range rollups {
		for _, v := range memberVariants(members) {
			k := cubeKey{cubeCell: r, Category: v.category, Sex: v.sex}
			if !keep.counts(k) {
				continue
			}
			n := q[k]
			if n == nil {
				n = &assocCounts{}
				q[k] = n
			}
			n.Associations += sign
			n.Enrolled += sign * b2i(v.enrolled)
			n.Trained += sign * b2i(v.trained)
		}
	}
}

// memberFlags are an association's flags in one roll-up for its members of
// one category and sex (0 for any, in memberVariants' answer).
type memberFlags struct {
	category, sex     attribute
	enrolled, trained bool
}

// orMember ORs cell c's flags into its members' category and sex.
func orMember(members []memberFlags, c cell) []memberFlags {
	for i := range members {
		if m := &members[i]; m.category == c.Category && m.sex == c.Sex {
			m.enrolled, m.trained = m.enrolled || c.Enrolled, m.trained || c.Trained
			return members
		}
	}
	return append(members, memberFlags{category: c.Category, sex: c.Sex, enrolled: c.Enrolled, trained: c.Trained})
}

// memberVariants are the flags per member variant: each category and sex,
// each category of any sex, each sex of any category, and any member, ORed
// over the members of each.
func memberVariants(members []memberFlags) []memberFlags {
	variants := make([]memberFlags, 0, 4*len(members))
	add := func(category, sex attribute, m memberFlags) {
		for i := range variants {
			if v := &variants[i]; v.category == category && v.sex == sex {
				v.enrolled, v.trained = v.enrolled || m.enrolled, v.trained || m.trained
				return
			}
		}
		variants = append(variants, memberFlags{category: category, sex: sex, enrolled: m.enrolled, trained: m.trained})
	}
	for _, m := range members {
		add(m.category, m.sex, m)
		add(m.category, 0, m)
		add(0, m.sex, m)
		add(0, 0, m)
	}
	return variants
}

// addAssociations counts cells sorted by association and sign.
func (q assocCube) addAssociations(cells []cell, keep *rowFilter) {
	eachRun(cells, sameSide, func(run []cell) { q.addAssociation(run[0].Sign, run, keep) })
}

// eachRun calls fn for each run of consecutive items that same says
// belong together.
func eachRun[T any](items []T, same func(a, b T) bool, fn func([]T)) {
	for from := 0; from < len(items); {
		to := from + 1
		for to < len(items) && same(items[from], items[to]) {
			to++
		}
		fn(items[from:to])
		from = to
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// The rows as JSON text, for the statements that write them
// (jsonb_to_recordset with peopleRecord / assocRecord; text, since the
// connections send []byte arguments in binary). Rows that count nothing
// are left out.

// cellRecord is the shape of the JSON rows of cells (cellsJSON).
const cellRecord = `(id bigint, programme_id bigint, year smallint, region_id smallint, province_id bigint, category text, sex text,
        association_id bigint, enrolled boolean, trained boolean, completed boolean, attended_marks bigint, marks bigint)`

// cellsJSON is the cells of sign +1 as JSON rows: what is to be stored.
func cellsJSON(cells []cell) (string, error) {
	now := []cell{}
	for _, c := range cells {
		if c.Sign > 0 {
			now = append(now, c)
		}
	}
	b, err := json.Marshal(now)
	if err != nil {
		return "", fmt.Errorf("cells: %w", err)
	}
	return string(b), nil
}

// peopleRecord is the shape of the JSON rows of a peopleCube.
const peopleRecord = `(programme_id bigint, year smallint, region_id smallint, province_id bigint, category text, sex text,
        people int, enrolled int, trained int, completed int, attended_marks bigint, marks bigint)`

// assocRecord is the shape of the JSON rows of an assocCube.
const assocRecord = `(programme_id bigint, year smallint, region_id smallint, province_id bigint, category text, sex text,
        associations int, enrolled int, trained int)`

func (q peopleCube) json() (string, error) {
	type row struct {
		cubeKey
		peopleCounts
	}
	rows := []row{}
	for k, n := range q {
		if *n != (peopleCounts{}) {
			rows = append(rows, row{k, *n})
		}
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return "", fmt.Errorf("cube rows: %w", err)
	}
	return string(b), nil
}

func (q assocCube) json() (string, error) {
	type row struct {
		cubeKey
		assocCounts
	}
	rows := []row{}
	for k, n := range q {
		if *n != (assocCounts{}) {
			rows = append(rows, row{k, *n})
		}
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return "", fmt.Errorf("association cube rows: %w", err)
	}
	return string(b), nil
}
