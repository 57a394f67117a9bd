package domain

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"path"
	"strconv"
	"strings"
)

// The limits of an import beyond the file's own size (MaxImportBytes), so
// that no file can make the server unpack or build more than a participant
// list needs: a 222 KB .xlsx holding 13 × 15 MiB parts took the server from
// 100 to 577 MB, a CSV with 4.9 million columns cost 12–29 s of CPU
// (docs/SECURITY.md#import-limits, docs/BENCHMARKS.md).
const (
	// MaxImportColumns is the last column that may hold something.
	MaxImportColumns = 200
	// maxRecordFields bounds the fields of one CSV line or the cells of one
	// worksheet row, empty ones included, before they are built: Excel has
	// no more columns than this, so only a forged file has more.
	maxRecordFields = 16_384

	// maxXLSXMembers counts every part of the zip, kept or dropped.
	maxXLSXMembers = 1000
	// maxXLSXSheetBytes is the worksheet read, unpacked: 100,000 rows of
	// eleven columns as Excel saves them take about 40 MB.
	maxXLSXSheetBytes = 64 << 20
	// maxXLSXStringsBytes is the shared strings (the text of the cells):
	// about 20 MB for those 100,000 rows.
	maxXLSXStringsBytes = 32 << 20
	// maxXLSXPartBytes is every other part kept; excelize decodes them
	// whole in memory.
	maxXLSXPartBytes = 4 << 20
	// maxXLSXTotalBytes is all the parts kept, unpacked, together.
	maxXLSXTotalBytes = 96 << 20
	// maxXLSXRatio is how many times a part may unpack to its packed size
	// once past xlsxRatioGrace. A list of people compresses about 10 to 20
	// times; runs of identical bytes, a zip bomb's, about 1000 times.
	// Apache POI refuses beyond 100 too.
	maxXLSXRatio   = 100
	xlsxRatioGrace = 1 << 20
	// xlsxInMemoryBytes is excelize's UnzipXMLSizeLimit: a larger worksheet
	// or shared strings part is unpacked to a temporary file and streamed
	// from there instead of being held in memory.
	xlsxInMemoryBytes = 4 << 20
)

// ImportLimitKeys are the messages of a file refused for its size alone,
// whatever its content: the HTTP layer answers them with 413.
var ImportLimitKeys = []string{"import.file_too_large", "import.too_many_rows", "import.too_many_columns",
	"import.xlsx_too_many_parts", "import.xlsx_sheet_too_large", "import.xlsx_strings_too_large",
	"import.xlsx_part_too_large", "import.xlsx_total_too_large", "import.xlsx_packed_too_densely"}

// OverLimit reports whether the file was refused for passing one of the
// import limits (its size, rows, columns, or what it unpacks to).
func (e *ImportError) OverLimit() bool {
	for _, p := range e.Problems {
		for _, key := range ImportLimitKeys {
			if p.Key == key {
				return true
			}
		}
	}
	return false
}

// importLimit refuses a file: key is the message, param the limit it names.
type importLimit struct{ key, param string }

func (e *importLimit) Error() string { return e.key + " " + e.param }

func megabytes(n int64) string { return strconv.FormatInt(n>>20, 10) + " MB" }

var (
	errTooManyColumns = &importLimit{"import.too_many_columns", strconv.Itoa(MaxImportColumns)}
	errTooManyParts   = &importLimit{"import.xlsx_too_many_parts", strconv.Itoa(maxXLSXMembers)}
	errSheetTooLarge  = &importLimit{"import.xlsx_sheet_too_large", megabytes(maxXLSXSheetBytes)}
	// a sheet that excelize would hold in memory (see keepSheet)
	errInMemorySheetTooLarge = &importLimit{"import.xlsx_sheet_too_large", megabytes(xlsxInMemoryBytes)}
	errStringsTooLarge       = &importLimit{"import.xlsx_strings_too_large", megabytes(maxXLSXStringsBytes)}
	errPartTooLarge          = &importLimit{"import.xlsx_part_too_large", megabytes(maxXLSXPartBytes)}
	errTotalTooLarge         = &importLimit{"import.xlsx_total_too_large", megabytes(maxXLSXTotalBytes)}
	errPackedTooDense        = &importLimit{"import.xlsx_packed_too_densely", strconv.Itoa(maxXLSXRatio)}

	// errNoSheet: the workbook lists no worksheet.
	errNoSheet = errors.New("xlsx: no worksheet")
)

// usedColumns is the number of columns up to the last one that holds
// something: trailing empty cells (";;;;") do not count.
func usedColumns(record []string) int {
	for i := len(record) - 1; i >= 0; i-- {
		if strings.TrimSpace(record[i]) != "" {
			return i + 1
		}
	}
	return 0
}

// fieldLimiter stops a CSV reader at the first line with more than
// maxRecordFields fields, as the bytes arrive: encoding/csv would build the
// whole line first, and one line of 4.9 million fields is 200 MB of slices.
// It tracks quotes as encoding/csv does for well-formed files (a doubled
// quote toggles twice); a malformed file is the reader's to refuse.
type fieldLimiter struct {
	r      io.Reader
	sep    byte
	quoted bool
	fields int // separators seen on the current line, plus one
	row    int // the line, as Excel numbers rows (blank lines count)
}

func newFieldLimiter(r io.Reader, sep rune) *fieldLimiter {
	return &fieldLimiter{r: r, sep: byte(sep), fields: 1, row: 1}
}

func (l *fieldLimiter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i, c := range p[:n] {
		switch {
		case c == '"':
			l.quoted = !l.quoted
		case l.quoted:
		case c == '\n':
			l.fields = 1
			l.row++
		case c == l.sep:
			if l.fields++; l.fields > maxRecordFields {
				return i, errTooManyColumns
			}
		}
	}
	return n, err
}

// cellCounter fails, as a worksheet's XML streams through it, at the first
// row with more than maxRecordFields cells: excelize builds a row whole
// before we can count its columns. It looks only at element names (<row>,
// <c>, with or without a namespace prefix), which is enough to count.
type cellCounter struct {
	inName bool
	name   []byte
	cells  int
	// rows counts the rows holding a value (<v> or an inline <is>), and
	// valued says whether the current one does: CheckImportSize's count.
	rows   int
	valued bool
}

func (w *cellCounter) Write(p []byte) (int, error) {
	for i, c := range p {
		if !w.inName {
			if c == '<' {
				w.inName, w.name = true, w.name[:0]
			}
			continue
		}
		if c != ' ' && c != '>' && c != '/' && c != '\t' && c != '\r' && c != '\n' && len(w.name) < 16 {
			w.name = append(w.name, c)
			continue
		}
		if c == '/' && len(w.name) == 0 {
			w.inName = false // an end tag
			continue
		}
		w.inName = false
		name := w.name
		if colon := bytes.LastIndexByte(name, ':'); colon >= 0 {
			name = name[colon+1:]
		}
		switch string(name) {
		case "row":
			w.cells, w.valued = 0, false
		case "v", "is":
			if !w.valued {
				w.valued = true
				w.rows++
			}
		case "c":
			if w.cells++; w.cells > maxRecordFields {
				return i, errTooManyColumns
			}
		}
	}
	return len(p), nil
}

// zipDirectoryEntry starts each entry of a zip's central directory: its
// count bounds the entries archive/zip would allocate, before it does.
var zipDirectoryEntry = []byte("PK\x01\x02")

// xlsxPackage is an .xlsx file being checked: its parts by name, those kept,
// and how much they unpack to.
type xlsxPackage struct {
	parts    map[string]*zip.File // name with / for \, as excelize reads it
	folded   map[string]*zip.File // lower-case name: excelize finds these two parts whatever their case
	kept     []*zip.File
	unpacked int64
	// sheetCells counted the worksheet's cells and rows as it was unpacked.
	sheetCells *cellCounter
}

// keepSheetParts checks an .xlsx file against the limits above before
// excelize opens it (excelize reads every part into memory), and returns a
// smaller .xlsx holding only what reading the first worksheet needs: the
// content types, the package and workbook relationships, the workbook, that
// worksheet, the shared strings and the styles (number formats). Every
// other part (other sheets, images, drawings, macros, printer settings,
// themes, document properties) is dropped unread rather than refused: a
// list with a logo or a second sheet is still a list. The parts kept are
// copied packed, as they are; each was unpacked once here, through a
// limit, so that a part that lies about its size is caught too.
func keepSheetParts(data []byte) ([]byte, error) {
	kept, _, err := keepSheetPartsCounting(data)
	return kept, err
}

// keepSheetPartsCounting is keepSheetParts also returning how many rows of
// the worksheet hold a value, the header's included.
func keepSheetPartsCounting(data []byte) ([]byte, int, error) {
	kept, pkg, err := keepSheetPartsOf(data)
	if err != nil {
		return nil, 0, err
	}
	return kept, pkg.sheetCells.rows, nil
}

func keepSheetPartsOf(data []byte) ([]byte, *xlsxPackage, error) {
	if bytes.Count(data, zipDirectoryEntry) > maxXLSXMembers {
		return nil, nil, errTooManyParts
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, nil, err
	}
	if len(zr.File) > maxXLSXMembers {
		return nil, nil, errTooManyParts
	}
	pkg := &xlsxPackage{parts: map[string]*zip.File{}, folded: map[string]*zip.File{}}
	for _, f := range zr.File {
		name := strings.ReplaceAll(f.Name, `\`, "/")
		pkg.parts[name] = f
		pkg.folded[strings.ToLower(name)] = f
	}
	sheet, err := pkg.firstSheetPath()
	if err != nil {
		return nil, nil, err
	}
	if err := pkg.keepSheet(sheet); err != nil {
		return nil, nil, err
	}
	// excelize looks for these at fixed names (the first two whatever their case).
	for _, part := range []struct {
		f        *zip.File
		limit    int64
		tooLarge *importLimit
	}{
		{pkg.folded["[content_types].xml"], maxXLSXPartBytes, errPartTooLarge},
		{pkg.folded["xl/sharedstrings.xml"], maxXLSXStringsBytes, errStringsTooLarge},
		{pkg.parts["xl/styles.xml"], maxXLSXPartBytes, errPartTooLarge},
	} {
		if part.f == nil {
			continue
		}
		if err := pkg.keep(part.f, part.limit, part.tooLarge, io.Discard); err != nil {
			return nil, nil, err
		}
	}
	kept, err := pkg.repack()
	return kept, pkg, err
}

// firstSheetPath finds the part of the workbook's first worksheet the way
// excelize does (the package relationships name the workbook, the
// workbook's relationships its sheets), keeping the parts it reads.
func (pkg *xlsxPackage) firstSheetPath() (string, error) {
	var root, workbookRels xlsxRelationships
	if err := pkg.keepXML("_rels/.rels", &root); err != nil {
		return "", err
	}
	workbook := ""
	for _, r := range root.Relationships {
		if strings.HasSuffix(r.Type, "/officeDocument") {
			workbook = strings.TrimPrefix(r.Target, "/")
			break
		}
	}
	var book struct {
		Sheets []struct {
			RelationshipID string `xml:"id,attr"` // r:id, transitional or strict namespace
		} `xml:"sheets>sheet"`
	}
	if err := pkg.keepXML(workbook, &book); err != nil {
		return "", err
	}
	if len(book.Sheets) == 0 {
		return "", errNoSheet
	}
	dir, base := path.Split(workbook)
	if err := pkg.keepXML(strings.TrimPrefix(dir+"_rels/"+base+".rels", "/"), &workbookRels); err != nil {
		return "", err
	}
	for _, r := range workbookRels.Relationships {
		if r.ID != book.Sheets[0].RelationshipID {
			continue
		}
		target := strings.ReplaceAll(r.Target, `\`, "/")
		if !strings.HasPrefix(target, "/") {
			target = dir + target
		}
		return strings.TrimPrefix(path.Clean(target), "/"), nil
	}
	return "", errors.New("xlsx: the first sheet has no part")
}

type xlsxRelationships struct {
	Relationships []struct {
		ID     string `xml:"Id,attr"`
		Type   string `xml:"Type,attr"`
		Target string `xml:"Target,attr"`
	} `xml:"Relationship"`
}

// keepXML keeps a small part and decodes it into v.
func (pkg *xlsxPackage) keepXML(name string, v any) error {
	f := pkg.parts[name]
	if f == nil {
		return errors.New("xlsx: no part " + name)
	}
	var buf bytes.Buffer
	if err := pkg.keep(f, maxXLSXPartBytes, errPartTooLarge, &buf); err != nil {
		return err
	}
	return xml.Unmarshal(buf.Bytes(), v)
}

// keepSheet keeps the worksheet, counting the cells of its rows. excelize
// streams a worksheet under xl/worksheets/ from a temporary file when it is
// large, and holds any other in memory: such a one gets the smaller limit.
func (pkg *xlsxPackage) keepSheet(name string) error {
	f := pkg.parts[name]
	if f == nil {
		return errors.New("xlsx: no part " + name)
	}
	pkg.sheetCells = &cellCounter{}
	if !strings.HasPrefix(strings.ToLower(name), "xl/worksheets/sheet") {
		return pkg.keep(f, xlsxInMemoryBytes, errInMemorySheetTooLarge, pkg.sheetCells)
	}
	return pkg.keep(f, maxXLSXSheetBytes, errSheetTooLarge, pkg.sheetCells)
}

// keep checks one part against its limit, the ratio and the total, first as
// the zip declares them, then as it really unpacks through a limited reader
// into w, and adds it to the parts kept.
func (pkg *xlsxPackage) keep(f *zip.File, limit int64, tooLarge *importLimit, w io.Writer) error {
	for _, kept := range pkg.kept {
		if kept == f {
			return nil
		}
	}
	if err := pkg.count(f, f.UncompressedSize64, limit, tooLarge); err != nil {
		return err
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	// archive/zip fails a part that unpacks to more than it declares
	// (ErrFormat) or to other bytes (ErrChecksum); the limit holds anyway.
	n, err := io.Copy(w, io.LimitReader(rc, limit+1))
	if err != nil {
		return err
	}
	if err := pkg.count(f, uint64(n), limit, tooLarge); err != nil {
		return err
	}
	pkg.unpacked += n
	pkg.kept = append(pkg.kept, f)
	return nil
}

// count checks size, unpacked from f, against limit, the ratio to f's packed
// size, and what the parts kept so far add up to.
func (pkg *xlsxPackage) count(f *zip.File, size uint64, limit int64, tooLarge *importLimit) error {
	switch {
	case size > uint64(limit):
		return tooLarge
	case size > xlsxRatioGrace && size/maxXLSXRatio > f.CompressedSize64:
		return errPackedTooDense
	case uint64(pkg.unpacked)+size > maxXLSXTotalBytes:
		return errTotalTooLarge
	}
	return nil
}

// repack writes the parts kept into a new zip, still packed.
func (pkg *xlsxPackage) repack() ([]byte, error) {
	var out bytes.Buffer
	w := zip.NewWriter(&out)
	for _, f := range pkg.kept {
		header := f.FileHeader
		dst, err := w.CreateRaw(&header)
		if err != nil {
			return nil, err
		}
		src, err := f.OpenRaw()
		if err != nil {
			return nil, err
		}
		if _, err := io.Copy(dst, src); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
