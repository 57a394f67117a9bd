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
	NationalID    *string // written only with ExportOptions.NationalID
	Phone         *string // written only with ExportOptions.Phone
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

// identifierColumns are the optional columns of a person's identifiers,
// written after the names when asked for (coordinators only).
var (
	nationalIDColumn = Column{Key: "national_id", Kind: Text, Width: 12}
	phoneColumn      = Column{Key: "phone", Kind: Phone, Width: 16}
)

// withIdentifiers is columns with the identifier columns opts asks for
// inserted after the column keyed after.
func withIdentifiers(columns []Column, after string, opts ExportOptions) []Column {
	if !opts.NationalID && !opts.Phone {
		return columns
	}
	var out []Column
	for _, c := range columns {
		out = append(out, c)
		if c.Key == after {
			if opts.NationalID {
				out = append(out, nationalIDColumn)
			}
			if opts.Phone {
				out = append(out, phoneColumn)
			}
		}
	}
	return out
}

// identifierCells appends r's identifier cells that opts asks for.
func identifierCells(cells []TableCell, opts ExportOptions, nationalID, phone *string) []TableCell {
	if opts.NationalID {
		cells = append(cells, optionalText(nationalID))
	}
	if opts.Phone {
		cells = append(cells, optionalText(phone))
	}
	return cells
}

// WriteAttendance writes the attendance file of the records to w, in
// opts.Format and language, and returns the number of data rows written.
// The records are read as they are written: memory stays constant. On an
// error (from the records or from w) the file is abandoned unfinished.
func WriteAttendance(w io.Writer, opts ExportOptions, records iter.Seq2[*AttendanceRecord, error]) (int64, error) {
	columns := withIdentifiers(AttendanceColumns, "full_name_latin", opts)
	table, err := NewTableWriter(w, columns, opts)
	if err != nil {
		return 0, err
	}
	words := newWords(opts)
	cells := make([]TableCell, 0, len(columns))
	return writeRecords(table, records, func(r *AttendanceRecord) []TableCell {
		cells = attendanceCells(cells[:0], r, opts, words)
		return cells
	}, nil)
}

// attendanceCells appends r's cells in the order of WriteAttendance's
// columns. Machine files (?header=keys) keep codes where people read names.
func attendanceCells(cells []TableCell, r *AttendanceRecord, opts ExportOptions, words *words) []TableCell {
	machine := opts.machine()
	programme, province := TextCell(r.ProgrammeName.In(opts.Lang)), TextCell(r.ProvinceName.In(opts.Lang))
	if machine {
		programme, province = TextCell(r.Programme), TextCell(r.Province)
	}
	cells = append(cells, optionalID(r.AttendanceID), IntCell(r.EnrollmentID), IntCell(r.TraineeID),
		IntCell(r.CourseID), IntCell(r.SessionID), programme,
		TextCell(r.CourseCode), TextCell(r.CourseTitle.In(opts.Lang)), TimeCell(r.SessionStart),
		optionalText(r.FullNameAr), optionalText(r.FullNameLatin))
	cells = identifierCells(cells, opts, r.NationalID, r.Phone)
	return append(cells, words.of("category", string(r.Category)), TextCell(r.Organisation.In(opts.Lang)), province,
		words.of("sex", string(r.Sex)), words.of("status", string(r.Status)), textOrEmpty(r.MarkedBy),
		optionalTime(r.MarkedAt), words.of("session_status", sessionStatus(r.Cancelled)))
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
	NationalID       *string // written only with ExportOptions.NationalID
	Phone            *string // written only with ExportOptions.Phone
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
// session (headed by its local date and hours, or session_<id> for
// machines) holding a status code, then the sessions attended (present or
// late) and the attendance rate over the sessions not cancelled: a
// cancelled session keeps its column and the marks taken before, headed as
// cancelled for people, and counts in neither (issue 14). A file for people
// ends with the totals of each session and the legend of the codes (see
// matrixFooter); a machine file is the table alone. It returns the rows
// of trainees written.
func WriteMatrix(w io.Writer, opts ExportOptions, sessions []Session, records iter.Seq2[*MatrixRecord, error]) (int64, error) {
	words := newWords(opts)
	columns := matrixColumns(sessions, opts, words)
	table, err := NewTableWriter(w, columns, opts)
	if err != nil {
		return 0, err
	}
	held := make([]bool, len(sessions))
	for i, ss := range sessions {
		held[i] = !ss.Cancelled()
	}
	cells := make([]TableCell, 0, len(columns))
	counts := make([]map[AttendanceStatus]int64, len(sessions))
	for i := range counts {
		counts[i] = map[AttendanceStatus]int64{}
	}
	var footer func(TableWriter) error
	if !opts.machine() {
		footer = func(t TableWriter) error { return matrixFooter(t, len(columns), counts, held, opts, words) }
	}
	return writeRecords(table, records, func(r *MatrixRecord) []TableCell {
		for i, m := range r.Marks {
			counts[i][m]++
		}
		cells = matrixCells(cells[:0], r, held, opts, words)
		return cells
	}, footer)
}

// matrixColumns lays out the matrix: lead columns, one per session, tail
// columns. A cancelled session's header says so, in the reader's words.
func matrixColumns(sessions []Session, opts ExportOptions, words *words) []Column {
	columns := withIdentifiers(matrixLeadColumns, "full_name_latin", opts)
	columns = append([]Column{}, columns...)
	for _, s := range sessions {
		label := SessionLabel(s)
		switch {
		case opts.machine():
			label = "session_" + strconv.FormatInt(s.ID, 10)
		case s.Cancelled():
			label += " (" + words.of("session_status", sessionStatus(true)).text + ")"
		}
		columns = append(columns, Column{Key: "session", Kind: Text, Width: 10, Label: label})
	}
	return append(columns, matrixTailColumns...)
}

// SessionLabel heads a session's column: its day, start and end in
// Africa/Casablanca, "2026-03-05 10:00–12:00". A header is text: the date
// stays as written, in every spreadsheet and language.
func SessionLabel(s Session) string {
	start, end := s.StartsAt.In(Casablanca), s.EndsAt.In(Casablanca)
	label := start.Format(CSVDateTimeLayout)
	if !s.EndsAt.IsZero() {
		label += "–" + end.Format("15:04")
	}
	return label
}

// matrixCells appends r's cells in matrixColumns order; held[i] is false
// for a cancelled session, whose mark is shown but not counted.
func matrixCells(cells []TableCell, r *MatrixRecord, held []bool, opts ExportOptions, words *words) []TableCell {
	cells = append(cells, IntCell(r.TraineeID), IntCell(r.EnrollmentID), optionalText(r.FullNameAr), optionalText(r.FullNameLatin))
	cells = identifierCells(cells, opts, r.NationalID, r.Phone)
	cells = append(cells, words.of("category", string(r.Category)), words.of("sex", string(r.Sex)),
		words.of("enrollment", string(r.EnrollmentStatus)))
	var attended, sessions int64
	for i, m := range r.Marks {
		cells = append(cells, matrixCode(opts, words, m))
		if held[i] {
			sessions++
			if m.Attended() {
				attended++
			}
		}
	}
	cells = append(cells, IntCell(attended))
	if sessions > 0 {
		return append(cells, FloatCell(float64(attended)/float64(sessions)))
	}
	return append(cells, TableCell{})
}

// matrixStatuses are the marks in the order the legend lists them.
var matrixStatuses = []AttendanceStatus{Present, Late, Excused, Absent}

// matrixFooter closes a matrix for people, after an empty row: a row of
// the trainees attending each session (present or late), then a row per
// code that says what it means ("P = Présent") and how many trainees
// had it at each session. The label is in the first column; the
// sessions' columns are the last before the two tail columns.
func matrixFooter(t TableWriter, width int, counts []map[AttendanceStatus]int64, held []bool, opts ExportOptions, words *words) error {
	row := make([]TableCell, width)
	if err := t.WriteCells(row); err != nil {
		return err
	}
	first := width - len(matrixTailColumns) - len(counts)
	code := func(s AttendanceStatus) string { return words.of("code", string(s)).text }
	// write writes a row of counts; with total, the sum goes under
	// "sessions attended" (the attending row only: there it is the sum of
	// that column, so it leaves out the cancelled sessions as the column does).
	write := func(label string, total bool, count func(map[AttendanceStatus]int64) int64) error {
		clear(row)
		row[0] = TextCell(label)
		var sum int64
		for i, c := range counts {
			n := count(c)
			row[first+i] = IntCell(n)
			if held[i] {
				sum += n
			}
		}
		if total {
			row[first+len(counts)] = IntCell(sum)
		}
		return t.WriteCells(row)
	}
	attended := opts.T("exportfiles.matrix.attended") + " (" + code(Present) + " + " + code(Late) + ")"
	if err := write(attended, true, func(c map[AttendanceStatus]int64) int64 { return c[Present] + c[Late] }); err != nil {
		return err
	}
	for _, s := range matrixStatuses {
		label := code(s) + " = " + words.of("status", string(s)).text
		if err := write(label, false, func(c map[AttendanceStatus]int64) int64 { return c[s] }); err != nil {
			return err
		}
	}
	return nil
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

// writeRecords writes one row per record, then the footer if any, and
// finishes the table; on an error it abandons the table.
func writeRecords[R any](table TableWriter, records iter.Seq2[*R, error], cells func(*R) []TableCell,
	footer func(TableWriter) error) (int64, error) {
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
	if footer != nil {
		if err := footer(table); err != nil {
			table.Abort()
			return n, err
		}
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
