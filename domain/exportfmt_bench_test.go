package domain

import (
	"io"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkTableWriter writes rows shaped like the attendance export
// straight to io.Discard: the file formats' own cost and memory, without
// the database. go test ./domain/ -run '^$' -bench TableWriter -benchtime 1x
// (WriteRow, with interface values; BenchmarkTableWriterCells: WriteCells,
// what the exports use.)
func BenchmarkTableWriter(b *testing.B) {
	cols := []Column{{Key: "id", Kind: Integer}, {Key: "name"}, {Key: "name_ar"}, {Key: "when", Kind: DateTime},
		{Key: "status"}, {Key: "course"}, {Key: "rate", Kind: Percent}}
	for _, format := range []Format{CSV, XLSX} {
		for _, rows := range []int{10_000, 100_000, 1_000_000} {
			b.Run(string(format)+"/rows="+strconv.Itoa(rows), func(b *testing.B) {
				b.ReportAllocs()
				peak := samplePeakHeap()
				when := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
				for i := 0; i < b.N; i++ {
					w, err := NewTableWriter(io.Discard, cols, ExportOptions{Format: format, Lang: "ar"})
					if err != nil {
						b.Fatal(err)
					}
					values := make([]any, len(cols))
					for r := 0; r < rows; r++ {
						values[0], values[1], values[2] = int64(r), "Hélène Aït-Lahcen", "فاطمة الزهراء بنعلي"
						values[3], values[4], values[5], values[6] = when, "present", "Formation, \"1\"", 0.5
						if err := w.WriteRow(values); err != nil {
							b.Fatal(err)
						}
					}
					if err := w.Close(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MB")
			})
		}
	}
}

// BenchmarkTableWriterCells is BenchmarkTableWriter through WriteCells.
func BenchmarkTableWriterCells(b *testing.B) {
	cols := []Column{{Key: "id", Kind: Integer}, {Key: "name"}, {Key: "name_ar"}, {Key: "when", Kind: DateTime},
		{Key: "status"}, {Key: "course"}, {Key: "rate", Kind: Percent}}
	for _, format := range []Format{CSV, XLSX} {
		for _, rows := range []int{10_000, 100_000, 1_000_000} {
			b.Run(string(format)+"/rows="+strconv.Itoa(rows), func(b *testing.B) {
				b.ReportAllocs()
				peak := samplePeakHeap()
				when := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
				for i := 0; i < b.N; i++ {
					w, err := NewTableWriter(io.Discard, cols, ExportOptions{Format: format, Lang: "ar"})
					if err != nil {
						b.Fatal(err)
					}
					cells := make([]TableCell, len(cols))
					for r := 0; r < rows; r++ {
						cells[0], cells[1], cells[2] = IntCell(int64(r)), TextCell("Hélène Aït-Lahcen"), TextCell("فاطمة الزهراء بنعلي")
						cells[3], cells[4], cells[5], cells[6] = TimeCell(when), TextCell("present"), TextCell("Formation, \"1\""), FloatCell(0.5)
						if err := w.WriteCells(cells); err != nil {
							b.Fatal(err)
						}
					}
					if err := w.Close(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MB")
			})
		}
	}
}

// samplePeakHeap samples HeapInuse every 5 ms until the returned function
// is called, which returns the highest value seen.
func samplePeakHeap() func() uint64 {
	runtime.GC()
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak.Load()
	}
}
