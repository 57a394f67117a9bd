package main

import (
	"sync"
	"sync/atomic"
	"time"
)

// loadResult is what a bounded load run measured.
type loadResult struct {
	requests  int
	errors    int
	elapsed   time.Duration
	latencies latencies
}

func (r loadResult) perSecond() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// runLoad calls fn from `workers` goroutines until `total` calls were made
// or `limit` passed, whichever comes first: a bounded loopback load.
func runLoad(workers, total int, limit time.Duration, fn func(i int) error) loadResult {
	var next, failed atomic.Int64
	deadline := time.Now().Add(limit)
	perWorker := make([]latencies, workers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for time.Now().Before(deadline) {
				i := int(next.Add(1)) - 1
				if i >= total {
					return
				}
				t := time.Now()
				if err := fn(i); err != nil {
					failed.Add(1)
					continue
				}
				perWorker[w] = append(perWorker[w], time.Since(t))
			}
		}(w)
	}
	wg.Wait()
	r := loadResult{elapsed: time.Since(start), errors: int(failed.Load())}
	for _, l := range perWorker {
		r.latencies = append(r.latencies, l...)
	}
	r.requests = len(r.latencies)
	return r
}
