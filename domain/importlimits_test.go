package domain

import (
	"archive/zip"
	"bytes"
	"fmt"
	"hash/crc32"
	"io"
	"runtime"
	"strings"
	"testing"
)

const bombPart = 15 << 20 // the parts of the penetration test's file

// repeated yields n bytes of b, without holding them.
func repeated(b byte, n int64) io.Reader {
	return io.LimitReader(byteRepeater(b), n)
}

type byteRepeater byte

func (r byteRepeater) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// rezip rewrites an .xlsx: parts named in replace get that content instead
// (nil drops them), then extra parts are added.
func rezip(t testing.TB, xlsx []byte, replace map[string]io.Reader, extra map[string]io.Reader) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(xlsx), int64(len(xlsx)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w := zip.NewWriter(&out)
	write := func(name string, r io.Reader) {
		part, err := w.Create(name)
		if err == nil {
			_, err = io.Copy(part, r)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range zr.File {
		if r, ok := replace[f.Name]; ok {
			if r != nil {
				write(f.Name, r)
			}
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		write(f.Name, rc)
		rc.Close()
	}
	for name, r := range extra {
		write(name, r)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

var listRows = [][]any{{"name", "category", "sex", "birth year", "consent"}, {"Amina", "child", "f", 2010, "yes"}}

// allocated returns what fn allocated, in bytes.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// parseAllocating parses data and fails if that allocated more than limit.
func parseAllocating(t *testing.T, data []byte, limit uint64) *ImportFile {
	t.Helper()
	var f *ImportFile
	if n := allocated(func() { f = ParseImport(bytes.NewReader(data), "liste.xlsx") }); n > limit {
		t.Errorf("parsing allocated %d MB (limit %d MB): the parts were unpacked", n>>20, limit>>20)
	}
	return f
}

// A worksheet of 15 MiB of one repeated byte packs into a few KB: it is
// refused from the zip's directory, before anything is unpacked.
func TestXLSXZipBombIsRefusedWithoutUnpackingIt(t *testing.T) {
	bomb := rezip(t, xlsxBytes(t, listRows), map[string]io.Reader{"xl/worksheets/sheet1.xml": repeated(' ', bombPart)}, nil)
	if len(bomb) > 100<<10 {
		t.Fatalf("the bomb is %d KB", len(bomb)>>10)
	}
	f := parseAllocating(t, bomb, 2<<20)
	wantProblem(t, f, 0, "", "import.xlsx_packed_too_densely")
	if f.Problems[0].Param != "100" || !(&ImportError{Problems: f.Problems}).OverLimit() {
		t.Fatalf("the message must name the limit and be a limit: %+v", f.Problems)
	}
}

// The penetration test's file: a good list with 13 parts of 15 MiB that an
// import does not need. They are dropped unread and the list is imported.
func TestXLSXPartsAnImportDoesNotNeedAreDroppedUnread(t *testing.T) {
	extra := map[string]io.Reader{}
	for i := 1; i <= 13; i++ {
		extra[fmt.Sprintf("xl/media/image%d.png", i)] = repeated(0, bombPart)
	}
	extra["xl/worksheets/sheet2.xml"] = repeated('<', bombPart) // a second sheet is not read either
	extra["xl/vbaProject.bin"] = strings.NewReader("macros")
	f := parseAllocating(t, rezip(t, xlsxBytes(t, listRows), nil, extra), 4<<20)
	if len(f.Problems) != 0 || len(f.Rows) != 1 {
		t.Fatalf("got %+v / %+v", f.Rows, f.Problems)
	}
}

// A part that declares a small size and unpacks to 15 MiB: archive/zip
// stops at the declared size, and the file is refused as damaged.
func TestXLSXPartThatLiesAboutItsSizeIsNotUnpacked(t *testing.T) {
	var packed bytes.Buffer
	packed.Write(deflated(t, repeated('a', bombPart)))
	data := rezip(t, xlsxBytes(t, listRows), map[string]io.Reader{"xl/worksheets/sheet1.xml": nil}, nil)
	data = withRawPart(t, data, &zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate,
		CRC32: crc32.ChecksumIEEE([]byte("<worksheet/>")), UncompressedSize64: 1000, CompressedSize64: uint64(packed.Len())}, packed.Bytes())
	f := parseAllocating(t, data, 2<<20)
	wantProblem(t, f, 0, "", "import.xlsx_unreadable")
}

// A part that declares more than its limit is refused before it is read.
func TestXLSXPartsOverTheirLimitAreRefusedFromTheirDeclaredSize(t *testing.T) {
	for _, c := range []struct {
		name string
		size uint64
		key  string
	}{
		{"xl/styles.xml", maxXLSXPartBytes + 1, "import.xlsx_part_too_large"},
		{"xl/workbook.xml", maxXLSXPartBytes + 1, "import.xlsx_part_too_large"},
		{"xl/sharedStrings.xml", maxXLSXStringsBytes + 1, "import.xlsx_strings_too_large"},
		{"xl/worksheets/sheet1.xml", maxXLSXSheetBytes + 1, "import.xlsx_sheet_too_large"},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := rezip(t, xlsxBytes(t, listRows), map[string]io.Reader{c.name: nil}, nil)
			packed := make([]byte, c.size/50) // what a 50:1 part would pack to; never unpacked
			data = withRawPart(t, data, &zip.FileHeader{Name: c.name, Method: zip.Deflate, UncompressedSize64: c.size,
				CompressedSize64: uint64(len(packed))}, packed)
			// Reading the file itself (up to 1.3 MB here) allocates a few times its size.
			wantProblem(t, parseAllocating(t, data, 16<<20), 0, "", c.key)
		})
	}
}

func TestXLSXLimitsAddUp(t *testing.T) {
	pkg := &xlsxPackage{unpacked: maxXLSXTotalBytes - 10}
	part := &zip.File{FileHeader: zip.FileHeader{CompressedSize64: 1 << 20}}
	if err := pkg.count(part, 11, maxXLSXPartBytes, errPartTooLarge); err != errTotalTooLarge {
		t.Fatalf("over the total: %v", err)
	}
	if err := pkg.count(part, 10, maxXLSXPartBytes, errPartTooLarge); err != nil {
		t.Fatalf("at the total: %v", err)
	}
	small := &xlsxPackage{}
	if err := small.count(&zip.File{FileHeader: zip.FileHeader{CompressedSize64: 100}}, xlsxRatioGrace, maxXLSXPartBytes, errPartTooLarge); err != nil {
		t.Fatalf("a small part may pack densely: %v", err)
	}
}

func TestXLSXWithTooManyPartsIsRefused(t *testing.T) {
	extra := map[string]io.Reader{}
	for i := 0; i <= maxXLSXMembers; i++ {
		extra[fmt.Sprintf("customXml/item%d.xml", i)] = strings.NewReader("")
	}
	f := parseAllocating(t, rezip(t, xlsxBytes(t, listRows), nil, extra), 4<<20)
	wantProblem(t, f, 0, "", "import.xlsx_too_many_parts")
}

// The other parts an import reads keep working: a workbook whose first
// sheet is not sheet1.xml, with content types and styles in another case.
func TestXLSXFirstSheetIsFoundThroughTheRelationships(t *testing.T) {
	data := xlsxBytes(t, [][]any{{"wrong"}})
	second := xlsxBytes(t, listRows)
	zr, _ := zip.NewReader(bytes.NewReader(second), int64(len(second)))
	var sheet []byte
	for _, f := range zr.File {
		if f.Name == "xl/worksheets/sheet1.xml" {
			rc, _ := f.Open()
			sheet, _ = io.ReadAll(rc)
		}
	}
	const book = `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ` +
		`xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>` +
		`<sheet name="Liste" sheetId="2" r:id="rId9"/><sheet name="Sheet1" sheetId="1" r:id="rId4"/></sheets></workbook>`
	const rels = `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
		`<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/liste.xml"/>` +
		`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>` +
		`<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>` +
		`</Relationships>`
	var strs []byte
	for _, f := range zr.File {
		if f.Name == "xl/sharedStrings.xml" {
			rc, _ := f.Open()
			strs, _ = io.ReadAll(rc)
		}
	}
	data = rezip(t, data, map[string]io.Reader{"xl/workbook.xml": strings.NewReader(book),
		"xl/_rels/workbook.xml.rels": strings.NewReader(rels), "xl/sharedStrings.xml": nil},
		map[string]io.Reader{"xl/worksheets/liste.xml": bytes.NewReader(sheet), "xl/SharedStrings.xml": bytes.NewReader(strs)})
	f := ParseImport(bytes.NewReader(data), "liste.xlsx")
	if len(f.Problems) != 0 || len(f.Rows) != 1 || *f.Rows[0].Trainee.FullNameLatin != "Amina" {
		t.Fatalf("got %+v / %+v", f.Rows, f.Problems)
	}
}

func TestXLSXWorkbookWithoutSheetsIsEmpty(t *testing.T) {
	data := rezip(t, xlsxBytes(t, listRows), map[string]io.Reader{"xl/workbook.xml": strings.NewReader(
		`<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets/></workbook>`)}, nil)
	wantProblem(t, ParseImport(bytes.NewReader(data), "a.xlsx"), 0, "", "import.file_empty")
}

// A header of a million columns is refused from its first 16,384, before
// encoding/csv builds the line and before any header is looked up.
func TestCSVWithAMillionColumnsIsRefused(t *testing.T) {
	header := "name,category,sex,birth year,consent" + strings.Repeat(",x", 1_000_000)
	var f *ImportFile
	n := allocated(func() { f = parseString(header+"\nAmina,child,f,2010,yes\n", "a.csv") })
	wantProblem(t, f, 1, "", "import.too_many_columns")
	if f.Problems[0].Param != "200" {
		t.Fatalf("the message must name the limit: %+v", f.Problems)
	}
	// Reading the 2 MB file whole takes a few times its size; the fields of a
	// million-column line alone would be 40 MB.
	if n > 16<<20 {
		t.Errorf("parsing allocated %d MB for a %d MB header", n>>20, len(header)>>20)
	}
}

func TestColumnsPastTheLimitAreRefusedOnTheirRow(t *testing.T) {
	row := func(used, empty int, sep string) string {
		cells := []string{"Amina", "child", "f", "2010", "yes"}
		for i := 5; i < used; i++ {
			cells = append(cells, "x")
		}
		return strings.Join(cells, sep) + strings.Repeat(sep, empty)
	}
	for _, c := range []struct {
		name, file string
		row        int
	}{
		{"201 used columns in a data row", "name,category,sex,birth year,consent\n" + row(5, 0, ",") + "\n" + row(201, 0, ",") + "\n", 3},
		{"more fields than Excel has columns, all empty", "name;category;sex;birth year;consent\n\n" + row(5, maxRecordFields, ";") + "\n", 3},
		{"a quoted line break counts as one row", "name,category,sex,birth year,consent\n\"Ami\nna\",child,f,2010,yes\n" + row(5, maxRecordFields, ",") + "\n", 3},
	} {
		t.Run(c.name, func(t *testing.T) { wantProblem(t, parseString(c.file, "a.csv"), c.row, "", "import.too_many_columns") })
	}
	// Excel writes as many separators as the sheet's width: empty ones do not count.
	f := parseString("name;category;sex;birth year;consent"+strings.Repeat(";", 300)+"\n"+row(5, 300, ";")+"\n", "a.csv")
	if len(f.Problems) != 0 || len(f.Rows) != 1 {
		t.Fatalf("trailing empty columns: %+v", f.Problems)
	}
	// Separators inside quotes are text.
	// (The notes column is ignored, as the coordinator would choose in the preview.)
	f = ParseImportWith(strings.NewReader("name,category,sex,birth year,consent,notes\nAmina,child,f,2010,yes,\""+strings.Repeat(",", maxRecordFields+1)+"\"\n"), "a.csv",
		ImportSettings{Columns: map[int]string{5: IgnoreColumn}})
	if len(f.Problems) != 0 || len(f.Rows) != 1 {
		t.Fatalf("quoted separators: %+v", f.Problems)
	}
}

func TestXLSXColumnsPastTheLimitAreRefusedOnTheirRow(t *testing.T) {
	wide := []any{"Amina", "child", "f", 2010, "yes"}
	for len(wide) < MaxImportColumns {
		wide = append(wide, nil)
	}
	wide = append(wide, "note in column 201")
	wantProblem(t, ParseImport(bytes.NewReader(xlsxBytes(t, append(listRows, wide))), "a.xlsx"), 3, "", "import.too_many_columns")

	// Cells without a reference pile up in one row: counted before excelize builds it.
	var sheet strings.Builder
	sheet.WriteString(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">`)
	for i := 0; i <= maxRecordFields; i++ {
		sheet.WriteString(`<c t="inlineStr"><is><t>x</t></is></c>`)
	}
	sheet.WriteString(`</row></sheetData></worksheet>`)
	data := rezip(t, xlsxBytes(t, listRows), map[string]io.Reader{"xl/worksheets/sheet1.xml": strings.NewReader(sheet.String())}, nil)
	wantProblem(t, ParseImport(bytes.NewReader(data), "a.xlsx"), 0, "", "import.too_many_columns")
}

func TestCellCounterReadsElementNames(t *testing.T) {
	xml := `<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c><c/><c r="C1"></c><cols/><col/></x:row>`
	for _, chunk := range []int{1, 3, len(xml)} { // names split across writes
		w := &cellCounter{}
		for i := 0; i < len(xml); i += chunk {
			_, _ = w.Write([]byte(xml[i:min(i+chunk, len(xml))]))
		}
		if w.cells != 3 {
			t.Errorf("chunks of %d: %d cells, want 3", chunk, w.cells)
		}
	}
}

// deflated packs data as a zip part's raw deflate stream.
func deflated(t *testing.T, r io.Reader) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	part, _ := w.CreateHeader(&zip.FileHeader{Name: "x", Method: zip.Deflate})
	if _, err := io.Copy(part, r); err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	zr, _ := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	raw, _ := zr.File[0].OpenRaw()
	out, _ := io.ReadAll(raw)
	return out
}

// withRawPart adds a part written as given: sizes and checksum unchecked.
func withRawPart(t *testing.T, xlsx []byte, header *zip.FileHeader, raw []byte) []byte {
	t.Helper()
	zr, _ := zip.NewReader(bytes.NewReader(xlsx), int64(len(xlsx)))
	var out bytes.Buffer
	w := zip.NewWriter(&out)
	for _, f := range zr.File {
		if err := w.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	part, err := w.CreateRaw(header)
	if err == nil {
		_, err = part.Write(raw)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
