package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// latencies summarises a set of timings.
type latencies []time.Duration

func (l latencies) percentile(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := append(latencies(nil), l...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	idx := int(float64(len(s)-1) * p)
	return s[idx]
}

func (l latencies) p50() time.Duration { return l.percentile(0.50) }
func (l latencies) p99() time.Duration { return l.percentile(0.99) }

// timeN runs fn n times (after one warm-up run) and returns the timings.
func timeN(n int, fn func() error) (latencies, error) {
	if err := fn(); err != nil {
		return nil, err
	}
	out := make(latencies, 0, n)
	for i := 0; i < n; i++ {
		start := time.Now()
		if err := fn(); err != nil {
			return nil, err
		}
		out = append(out, time.Since(start))
	}
	return out, nil
}

// rssSampler records the peak resident memory of a process while it runs.
type rssSampler struct {
	pid  int
	stop chan struct{}
	done sync.WaitGroup
	peak int64 // kB
}

func sampleRSS(pid int) *rssSampler {
	r := &rssSampler{pid: pid, stop: make(chan struct{})}
	r.done.Add(1)
	go func() {
		defer r.done.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			if kb := readRSS(pid); kb > r.peak {
				r.peak = kb
			}
			select {
			case <-r.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return r
}

// finish stops sampling and returns the peak in MB.
func (r *rssSampler) finish() float64 {
	close(r.stop)
	r.done.Wait()
	return float64(r.peak) / 1024
}

// readRSS reads VmRSS (kB) from /proc.
func readRSS(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return kb
		}
	}
	return 0
}

var psqlTime = regexp.MustCompile(`(?m)^Time: ([0-9.]+) ms`)

// psqlTimings runs a psql script with \timing on and returns every "Time:"
// it printed: PostgreSQL's own time for each statement, seen from psql.
func psqlTimings(dsn, script string) (latencies, error) {
	cmd := exec.Command("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-o", "/dev/null", dsn)
	cmd.Stdin = strings.NewReader("\\timing on\n" + script)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("psql: %v: %s", err, out)
	}
	var l latencies
	for _, m := range psqlTime.FindAllStringSubmatch(string(out), -1) {
		ms, _ := strconv.ParseFloat(m[1], 64)
		l = append(l, time.Duration(ms*float64(time.Millisecond)))
	}
	return l, nil
}

// timeCommand runs a shell command and returns how long it took.
func timeCommand(name string, args ...string) (time.Duration, []byte, error) {
	start := time.Now()
	out, err := exec.Command(name, args...).CombinedOutput()
	return time.Since(start), out, err
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
