package domain

import (
	"strconv"
	"strings"
)

// A file of scores for one course (issue 19, point 2): each row names a
// person of the course's roster — by CIN, by record number, or by the name
// as on the roster — and gives their pre/post scores and satisfaction. It
// is read by the participant lists' engine (ImportRecords: CSV or XLSX, the
// same encodings, separators and row numbers; headers in ar/fr/en folded as
// HeaderKey; digits in any script). The store matches the people and saves
// every row or none (repository.ImportScores).

// ScoresImportRow is one row of a scores file, its person not yet matched.
type ScoresImportRow struct {
	Row        int
	NationalID string // "" when the file has no CIN for the row
	TraineeID  int64  // 0 when the file has no record number
	Name       string // folded (foldLabel), "" when none
	Scores     Scores
	// Given are the score columns the file has: the others keep what was
	// entered before (a file of post-tests leaves the pre-tests alone).
	Given map[string]bool
}

// Over is the row's scores over what was entered before: a column the
// file has replaces (an empty cell clears), a column it lacks is kept.
func (r ScoresImportRow) Over(before Scores) Scores {
	out := before
	if r.Given["pre_score"] {
		out.Pre = r.Scores.Pre
	}
	if r.Given["post_score"] {
		out.Post = r.Scores.Post
	}
	for i, f := range SatisfactionFields {
		if r.Given[f] {
			out.Satisfaction[i] = r.Scores.Satisfaction[i]
		}
	}
	return out
}

// scoresHeaders are the headers of a scores file; the person's columns are
// the participant lists' own (headerAliases), plus the record number.
var scoresHeaders = foldedMap(map[string][]string{
	"trainee_id": {"trainee_id", "record number", "record no", "person id", "id",
		"n° de dossier", "numéro de dossier", "n° dossier", "identifiant", "رقم الملف", "رقم السجل", "المعرف"},
	"pre_score": {"pre_score", "pre", "pre-test", "pretest", "pre test", "score before", "pré-test", "pré test",
		"prétest", "test initial", "note avant", "الاختبار القبلي", "قبلي", "النقطة القبلية"},
	"post_score": {"post_score", "post", "post-test", "posttest", "post test", "score after", "post-test",
		"test final", "note après", "الاختبار البعدي", "بعدي", "النقطة البعدية"},
	"satisfaction_1": {"satisfaction_1", "s1", "satisfaction 1", "الرضا 1"},
	"satisfaction_2": {"satisfaction_2", "s2", "satisfaction 2", "الرضا 2"},
	"satisfaction_3": {"satisfaction_3", "s3", "satisfaction 3", "الرضا 3"},
})

// scoresColumn is the field of a header of a scores file, "" if unknown.
func scoresColumn(header string) string {
	key := HeaderKey(header)
	if f, ok := scoresHeaders[key]; ok {
		return f
	}
	switch f := headerAliases[key]; f {
	case "national_id", "full_name_ar", "full_name_latin":
		return f
	}
	return ""
}

// ScoresImportFile is a parsed scores file: its rows if none has a problem.
type ScoresImportFile struct {
	Rows     []ScoresImportRow
	Problems []ImportProblem
}

func (f *ScoresImportFile) add(row int, column, key string) {
	f.Problems = append(f.Problems, ImportProblem{Row: row, Column: column, Key: key, Param: strconv.Itoa(row)})
}

// Err is an *ImportError listing every problem by row, nil if none.
func (f *ScoresImportFile) Err() error {
	if len(f.Problems) == 0 {
		return nil
	}
	return &ImportError{Problems: f.Problems}
}

// RowsOnly reports whether every problem is a data row's (row 2 on): the
// other rows can still be matched to people, for a refusal that lists all.
func (f *ScoresImportFile) RowsOnly() bool {
	for _, p := range f.Problems {
		if p.Row < 2 || p.Key == "import.too_many_rows" {
			return false
		}
	}
	return true
}

// ParseScoresImport reads a scores file. Problems have the row as Param, so
// that every message names its row; an unknown header is refused (nothing
// is left out silently), as is a file that names no person's column.
func ParseScoresImport(data []byte, filename string) *ScoresImportFile {
	f := &ScoresImportFile{}
	if len(data) > MaxImportBytes {
		f.Problems = append(f.Problems, ImportProblem{Key: "import.file_too_large", Param: "10 MB"})
		return f
	}
	var columns []string
	given := map[string]bool{}
	_, ok := ImportRecords(data, filename, func(row int, record []string) bool {
		if blank(record) {
			return true
		}
		if columns == nil {
			columns = scoresHeader(f, record)
			for _, c := range columns {
				given[c] = true
			}
			return len(f.Problems) == 0
		}
		if len(f.Rows)+len(f.Problems) >= MaxImportRows {
			f.Problems = append(f.Problems, ImportProblem{Row: row, Key: "import.too_many_rows", Param: strconv.Itoa(MaxImportRows)})
			return false
		}
		scoresRow(f, row, columns, record, given)
		return true
	})
	switch {
	case !ok && len(f.Problems) == 0:
		f.Problems = append(f.Problems, ImportProblem{Key: "import.unreadable"})
	case columns == nil && len(f.Problems) == 0:
		f.Problems = append(f.Problems, ImportProblem{Key: "import.file_empty"})
	case len(f.Rows) == 0 && len(f.Problems) == 0:
		f.Problems = append(f.Problems, ImportProblem{Key: "import.no_data_rows"})
	}
	SortImportProblems(f.Problems)
	return f
}

// scoresHeader maps the header's cells to fields.
func scoresHeader(f *ScoresImportFile, record []string) []string {
	columns := make([]string, len(record))
	person := false
	for i, h := range record {
		if strings.TrimSpace(h) == "" {
			continue
		}
		columns[i] = scoresColumn(h)
		switch columns[i] {
		case "":
			f.Problems = append(f.Problems, ImportProblem{Row: 1, Key: "import.column_unmapped", Param: columnLetter(i) + " «" + Visible(cleanLine(h)) + "»"})
		case "national_id", "trainee_id", "full_name_ar", "full_name_latin":
			person = true
		}
	}
	if !person {
		f.Problems = append(f.Problems, ImportProblem{Row: 1, Key: "outcomes.import.no_person_column"})
	}
	return columns
}

// scoresRow reads one data row: numbers in any digits ("٨٥", "85.0" of a
// number cell), names folded as the roster's are compared.
func scoresRow(f *ScoresImportFile, row int, columns, record []string, given map[string]bool) {
	r := ScoresImportRow{Row: row, Given: given}
	before := len(f.Problems)
	number := func(column, value string) *int {
		n, err := strconv.Atoi(strings.TrimSuffix(value, ".0"))
		if err != nil {
			f.add(row, column, "outcomes.import.not_a_number")
			return nil
		}
		return &n
	}
	for i, raw := range record {
		if i >= len(columns) || columns[i] == "" {
			continue
		}
		value := CleanNumber(cleanLine(raw))
		if value == "" {
			continue
		}
		switch column := columns[i]; column {
		case "national_id":
			r.NationalID = strings.ToUpper(value)
		case "trainee_id":
			if n := number(column, value); n != nil {
				r.TraineeID = int64(*n)
			}
		case "full_name_ar", "full_name_latin":
			if r.Name == "" {
				r.Name = foldLabel(value)
			}
		case "pre_score":
			r.Scores.Pre = number(column, value)
		case "post_score":
			r.Scores.Post = number(column, value)
		default: // satisfaction_1…3
			k, _ := strconv.Atoi(column[len(column)-1:])
			r.Scores.Satisfaction[k-1] = number(column, value)
		}
	}
	if v, ok := AsValidation(r.Scores.Validate()); ok {
		for _, field := range sortedFields(v.Fields) {
			f.add(row, field, "outcomes.import."+strings.TrimPrefix(v.Fields[field].Key, "outcomes."))
		}
	}
	if r.NationalID == "" && r.TraineeID == 0 && r.Name == "" {
		f.add(row, "", "outcomes.import.no_person")
	}
	if len(f.Problems) == before {
		f.Rows = append(f.Rows, r)
	}
}

// RosterName folds a name of the roster as a file's names are folded.
func RosterName(name string) string { return foldLabel(cleanLine(name)) }
