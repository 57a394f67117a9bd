package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xuri/excelize/v2"
)

// The hostile files of the penetration test (issue 12): an .xlsx of 13
// parts of 15 MiB each that packs into about 200 KB, and a CSV of 9.8 MB
// whose header has 4.9 million columns.
const (
	bombParts    = 13
	bombPartSize = 15 << 20
	wideColumns  = 4_900_000
)

// measureImportBomb: three zip bombs posted at once, the server's peak RSS
// (the target: under 300 MB); then the wide CSV, the server's CPU time.
func (b *bench) measureImportBomb() error {
	bomb, err := zipBombXLSX()
	if err != nil {
		return err
	}
	before := float64(readRSS(b.server.Process.Pid)) / 1024
	rss := sampleRSS(b.server.Process.Pid)
	statuses := make([]int, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body, contentType := multipartFile("file", "liste.xlsx", bomb, nil)
			statuses[i], _, _, errs[i] = b.call("POST", "/api/v1/imports/trainees", body, contentType)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	peak := rss.finish()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	b.add(fmt.Sprintf("three %d × %d MiB zip bombs (%d KB each) posted at once (server RSS before → peak; statuses; time)",
		bombParts, bombPartSize>>20, len(bomb)>>10),
		fmt.Sprintf("%.0f → %.0f MB; %s; %.1f s", before, peak, statusList(statuses), elapsed.Seconds()), "—", "—", "peak RSS < 300 MB")

	wide := []byte("name,category,sex" + strings.Repeat(",x", wideColumns) + "\n")
	body, contentType := multipartFile("file", "liste.csv", wide, nil)
	cpu := cpuSeconds(b.server.Process.Pid)
	start = time.Now()
	status, _, _, err := b.call("POST", "/api/v1/imports/trainees", body, contentType)
	if err != nil {
		return err
	}
	b.add(fmt.Sprintf("CSV of %.1f MB with a %.1f M-column header (server CPU; status; time)", float64(len(wide))/1e6, wideColumns/1e6),
		fmt.Sprintf("%.2f s CPU; %d; %.2f s", cpuSeconds(b.server.Process.Pid)-cpu, status, time.Since(start).Seconds()),
		"—", "—", "measured")
	return b.measureLargeWorkbooks()
}

// measureLargeWorkbooks: what the largest honest list costs, for
// comparison: two workbooks of -import-rows rows, saved with shared strings
// as Excel does, previewed at once (dry run): the server's peak RSS.
func (b *bench) measureLargeWorkbooks() error {
	var org int64
	if err := b.db.Get(&org, `SELECT min(id) FROM organisations WHERE kind = 'institution'`); err != nil {
		return err
	}
	book := excelize.NewFile()
	defer book.Close()
	header := []any{"Catégorie", "Nom (arabe)", "Nom (latin)", "Sexe", "Année de naissance", "Organisme", "Téléphone", "Courriel", "CIN"}
	if err := book.SetSheetRow("Sheet1", "A1", &header); err != nil {
		return err
	}
	for i := 0; i < b.o.importRows; i++ {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		row := []any{"Acteur institutionnel", fmt.Sprintf("مستفيدة رقم %d", i), fmt.Sprintf("Participante Numéro %d", i), "Femme",
			1970 + i%30, org, fmt.Sprintf("06%08d", i), fmt.Sprintf("participante%d@example.ma", i), fmt.Sprintf("ZZ%07d", i)}
		if err := book.SetSheetRow("Sheet1", cell, &row); err != nil {
			return err
		}
	}
	var file bytes.Buffer
	if err := book.Write(&file); err != nil {
		return err
	}
	before := float64(readRSS(b.server.Process.Pid)) / 1024
	rss := sampleRSS(b.server.Process.Pid)
	// Each is a job (issue 15) followed through its status URL to its end.
	statuses := make([]string, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, job, _, err := b.runImportJob("liste.xlsx", file.Bytes(), map[string]string{"dry_run": "true"})
			statuses[i], errs[i] = fmt.Sprint(status), err
			if job != nil {
				statuses[i] += " " + job.Status
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	peak := rss.finish()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	b.add(fmt.Sprintf("two workbooks of %d rows (%.1f MB each) previewed at once (server RSS before → peak; statuses; time)",
		b.o.importRows, float64(file.Len())/1e6),
		fmt.Sprintf("%.0f → %.0f MB; %s; %.1f s", before, peak, strings.Join(statuses, ", "), elapsed.Seconds()), "—", "—", "measured")
	return nil
}

// zipBombXLSX is a workbook whose first sheet and 12 more parts are each
// 15 MiB of one repeated byte, declared at their true size: the parts are
// deflated once and the packed bytes written 13 times.
func zipBombXLSX() ([]byte, error) {
	var packed bytes.Buffer
	w := zip.NewWriter(&packed)
	part, err := w.CreateHeader(&zip.FileHeader{Name: "x", Method: zip.Deflate})
	if err != nil {
		return nil, err
	}
	crc := crc32.NewIEEE()
	chunk := bytes.Repeat([]byte{' '}, 1<<20)
	for i := 0; i < bombPartSize>>20; i++ {
		_, _ = part.Write(chunk)
		_, _ = crc.Write(chunk)
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(bytes.NewReader(packed.Bytes()), int64(packed.Len()))
	if err != nil {
		return nil, err
	}
	raw, err := zr.File[0].OpenRaw()
	if err != nil {
		return nil, err
	}
	deflated, err := io.ReadAll(raw)
	if err != nil {
		return nil, err
	}

	var out bytes.Buffer
	w = zip.NewWriter(&out)
	small := map[string]string{
		"[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
			`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`,
		"_rels/.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml": `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ` +
			`xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Liste" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
	}
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels"} {
		f, err := w.Create(name)
		if err != nil {
			return nil, err
		}
		_, _ = f.Write([]byte(small[name]))
	}
	for i := 1; i <= bombParts; i++ {
		f, err := w.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet" + strconv.Itoa(i) + ".xml", Method: zip.Deflate,
			CRC32: crc.Sum32(), CompressedSize64: uint64(len(deflated)), UncompressedSize64: bombPartSize})
		if err != nil {
			return nil, err
		}
		if _, err := f.Write(deflated); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func statusList(statuses []int) string {
	parts := make([]string, len(statuses))
	for i, s := range statuses {
		parts[i] = strconv.Itoa(s)
	}
	return strings.Join(parts, ", ")
}

// cpuSeconds is the user and system CPU time of a process so far, from
// /proc/PID/stat (in clock ticks of 1/100 s on Linux).
func cpuSeconds(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses.
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) / 100
}
