package domain

import (
	"io"
	"iter"
	"strconv"
	"time"
)

// This file turns the records the store streams (attendance, the course
// matrix) into the cells of a file in one user's language: which columns,
// which headers, which words for a category or a status. The store knows
// nothing of languages or files; the TableWriter of exportfmt.go knows
// nothing of attendance.

// AttendanceRecord is one row of the attendance export: an enrolled trainee
// × a session of the course, with the mark taken, if any. The store reuses
// one record for every row: keep a copy, not the pointer. A new field is
// a new column: add it here, to AttendanceColumns and to attendanceCells.
type AttendanceRecord struct {
	AttendanceID  int64 // 0: this session is not marked for this trainee
	EnrollmentID  int64
	TraineeID     int64
	CourseID      int64
	SessionID     int64
	Programme     string // the programme's code
	ProgrammeName Names
	CourseCode    string
	CourseTitle   Names
	SessionStart  time.Time
	FullNameAr    *string
	FullNameLatin *string
	Category      Category
	Organisation  Names  // empty when the trainee has none
	Province      string // the course's province's code
	ProvinceName  Names
	Sex           Sex
	Status        AttendanceStatus // "" when unmarked
	MarkedBy      string           // the name of who marked; "" when unmarked
	MarkedAt      time.Time        // zero when unmarked
	Cancelled     bool             // the session was cancelled (issue 14)
}

// AttendanceColumns are the columns of the flat attendance export, in
// order; their keys are the headers with ?header=keys and never change.
var AttendanceColumns = []Column{
	{Key: "attendance_id", Kind: Integer, Width: 12},
	{Key: "enrollment_id", Kind: Integer, Width: 12},
	{Key: "trainee_id", Kind: Integer, Width: 12},
	{Key: "course_id", Kind: Integer, Width: 10},
	{Key: "session_id", Kind: Integer, Width: 10},
	{Key: "programme", Kind: Text, Width: 18},
	{Key: "course_code", Kind: Text, Width: 16},
	{Key: "course_title", Kind: Text, Width: 32},
	{Key: "session_start", Kind: DateTime, Width: 17},
	{Key: "full_name_ar", Kind: Text, Width: 28},
	{Key: "full_name_latin", Kind: Text, Width: 28},
	{Key: "category", Kind: Text, Width: 22},
	{Key: "organisation", Kind: Text, Width: 30},
	{Key: "province", Kind: Text, Width: 22},
	{Key: "sex", Kind: Text, Width: 8},
	{Key: "status", Kind: Text, Width: 10},
	{Key: "marked_by", Kind: Text, Width: 22},
	{Key: "marked_at", Kind: DateTime, Width: 17},
	// last, so that the columns before keep their places (issue 14): a
	// cancelled session is exported, with its status
	{Key: "session_status", Kind: Text, Width: 12},
}

// WriteAttendance writes the attendance file of the records to w, in
// opts.Format and language, and returns the number of data rows written.
// The records are read as they are written: memory stays constant. On an
// error (from the records or from w) the file is abandoned unfinished.
func WriteAttendance(w io.Writer, opts ExportOptions, records iter.Seq2[*AttendanceRecord, error]) (int64, error) {
	table, err := NewTableWriter(w, AttendanceColumns, opts)
	if err != nil {
		return 0, err
	}
	words := newWords(opts)
	cells := make([]TableCell, len(AttendanceColumns))
	return writeRecords(table, records, func(r *AttendanceRecord) []TableCell {
		attendanceCells(cells, r, opts, words)
		return cells
	})
}

// attendanceCells fills cells with r's cells in AttendanceColumns order.
// Machine files (?header=keys) keep codes where people read names.
func attendanceCells(cells []TableCell, r *AttendanceRecord, opts ExportOptions, words *words) {
	machine := opts.machine()
	cells[0] = optionalID(r.AttendanceID)
	cells[1], cells[2] = IntCell(r.EnrollmentID), IntCell(r.TraineeID)
	cells[3], cells[4] = IntCell(r.CourseID), IntCell(r.SessionID)
	if machine {
		cells[5] = TextCell(r.Programme)
	} else {
		cells[5] = TextCell(r.ProgrammeName.In(opts.Lang))
	}
	cells[6], cells[7] = TextCell(r.CourseCode), TextCell(r.CourseTitle.In(opts.Lang))
	cells[8] = TimeCell(r.SessionStart)
	cells[9], cells[10] = optionalText(r.FullNameAr), optionalText(r.FullNameLatin)
	cells[11] = words.of("category", string(r.Category))
	cells[12] = TextCell(r.Organisation.In(opts.Lang))
	if machine {
		cells[13] = TextCell(r.Province)
	} else {
		cells[13] = TextCell(r.ProvinceName.In(opts.Lang))
	}
	cells[14] = words.of("sex", string(r.Sex))
	cells[15] = words.of("status", string(r.Status))
	cells[16] = textOrEmpty(r.MarkedBy)
	cells[17] = optionalTime(r.MarkedAt)
	cells[18] = words.of("session_status", sessionStatus(r.Cancelled))
}

// sessionStatus is a session's status in the attendance export: "held"
// (scheduled or held) or "cancelled".
func sessionStatus(cancelled bool) string {
	if cancelled {
		return "cancelled"
	}
	return "held"
}

// MatrixRecord is one row of a course's matrix: an enrolled trainee
// (withdrawn ones included) and their mark at each session of the course.
// The store reuses one record for every row.
type MatrixRecord struct {
	EnrollmentID     int64
	TraineeID        int64
	FullNameAr       *string
	FullNameLatin    *string
	Category         Category
	Sex              Sex
	EnrollmentStatus EnrollmentStatus
	// Marks holds one status per session of the matrix, in the sessions'
	// order; "" where the session is not marked.
	Marks []AttendanceStatus
}

// matrixLeadColumns come before the one column per session of the matrix.
var matrixLeadColumns = []Column{
	{Key: "trainee_id", Kind: Integer, Width: 10},
	{Key: "enrollment_id", Kind: Integer, Width: 10},
	{Key: "full_name_ar", Kind: Text, Width: 28},
	{Key: "full_name_latin", Kind: Text, Width: 28},
	{Key: "category", Kind: Text, Width: 22},
	{Key: "sex", Kind: Text, Width: 8},
	{Key: "enrollment_status", Kind: Text, Width: 12},
}

// matrixTailColumns close each row: sessions attended and the rate.
var matrixTailColumns = []Column{
	{Key: "attended", Kind: Integer, Width: 10},
	{Key: "attendance_rate", Kind: Percent, Width: 10},
}

// matrixCodes are the one-letter status codes of the matrix with
// ?header=keys; translated codes come from "export.code.<status>".
var matrixCodes = map[AttendanceStatus]string{Present: "P", Late: "L", Excused: "E", Absent: "A"}

// WriteMatrix writes a course's matrix: one row per record, one column per
// session (headed by its local start, or session_<id> for machines)
// holding a status code, then the sessions attended (present or late) and
// the attendance rate over all the sessions. It returns the rows written.
func WriteMatrix(w io.Writer, opts ExportOptions, sessions []Session, records iter.Seq2[*MatrixRecord, error]) (int64, error) {
	table, err := NewTableWriter(w, matrixColumns(sessions, opts), opts)
	if err != nil {
		return 0, err
	}
	words := newWords(opts)
	cells := make([]TableCell, len(matrixLeadColumns)+len(sessions)+len(matrixTailColumns))
	return writeRecords(table, records, func(r *MatrixRecord) []TableCell {
		matrixCells(cells, r, opts, words)
		return cells
	})
}

// matrixColumns lays out the matrix: lead columns, one per session, tail columns.
func matrixColumns(sessions []Session, opts ExportOptions) []Column {
	columns := append([]Column{}, matrixLeadColumns...)
	for _, s := range sessions {
		label := s.StartsAt.In(Casablanca).Format(CSVDateTimeLayout)
		if opts.machine() {
			label = "session_" + strconv.FormatInt(s.ID, 10)
		}
		columns = append(columns, Column{Key: "session", Kind: Text, Width: 17, Label: label})
	}
	return append(columns, matrixTailColumns...)
}

// matrixCells fills cells with r's cells in matrixColumns order.
func matrixCells(cells []TableCell, r *MatrixRecord, opts ExportOptions, words *words) {
	cells[0], cells[1] = IntCell(r.TraineeID), IntCell(r.EnrollmentID)
	cells[2], cells[3] = optionalText(r.FullNameAr), optionalText(r.FullNameLatin)
	cells[4], cells[5] = words.of("category", string(r.Category)), words.of("sex", string(r.Sex))
	cells[6] = words.of("enrollment", string(r.EnrollmentStatus))
	lead, sessions := len(matrixLeadColumns), len(cells)-len(matrixLeadColumns)-len(matrixTailColumns)
	var attended int64
	for i := range sessions {
		cells[lead+i] = matrixCode(opts, words, r.Marks[i])
		if r.Marks[i].Attended() {
			attended++
		}
	}
	cells[lead+sessions] = IntCell(attended)
	if sessions > 0 {
		cells[lead+sessions+1] = FloatCell(float64(attended) / float64(sessions))
	} else {
		cells[lead+sessions+1] = TableCell{}
	}
}

// matrixCode is the cell of one mark: a one-letter code, empty if unmarked.
func matrixCode(opts ExportOptions, words *words, status AttendanceStatus) TableCell {
	switch {
	case status == "":
		return TableCell{}
	case opts.machine():
		return TextCell(matrixCodes[status])
	}
	return words.of("code", string(status))
}

// writeRecords writes one row per record and finishes the table; on an
// error it abandons the table.
func writeRecords[R any](table TableWriter, records iter.Seq2[*R, error], cells func(*R) []TableCell) (int64, error) {
	var n int64
	for r, err := range records {
		if err == nil {
			err = table.WriteCells(cells(r))
		}
		if err != nil {
			table.Abort()
			return n, err
		}
		n++
	}
	return n, table.Close()
}

// words translates the enumerated values of one file (categories, sexes,
// statuses: a dozen words) once each, instead of once per cell: a message
// lookup costs more than writing the cell.
type words struct {
	opts ExportOptions
	seen map[wordKey]string
}

type wordKey struct{ group, value string }

func newWords(opts ExportOptions) *words { return &words{opts: opts, seen: map[wordKey]string{}} }

// of is the cell of opts.Value(group, value), the word remembered.
func (w *words) of(group, value string) TableCell {
	if value == "" || w.opts.machine() {
		return TextCell(value)
	}
	key := wordKey{group, value}
	word, ok := w.seen[key]
	if !ok {
		word = w.opts.Value(group, value)
		w.seen[key] = word
	}
	return TextCell(word)
}

// optionalID is the cell of an id, empty for 0 (none).
func optionalID(id int64) TableCell {
	if id == 0 {
		return TableCell{}
	}
	return IntCell(id)
}

// optionalText is the cell of a text that may be NULL (empty cell).
func optionalText(s *string) TableCell {
	if s == nil {
		return TableCell{}
	}
	return TextCell(*s)
}

// textOrEmpty is the cell of a text, empty when "".
func textOrEmpty(s string) TableCell {
	if s == "" {
		return TableCell{}
	}
	return TextCell(s)
}

func optionalTime(t time.Time) TableCell {
	if t.IsZero() {
		return TableCell{}
	}
	return TimeCell(t)
}
