package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The enrolment load is driven by wrk (Debian's package): a C load generator
// takes a small share of the two cores, where a Go client loop in the bench
// took a quarter of them from the server and PostgreSQL it measures.

// loadResult is what a bounded load run measured.
type loadResult struct {
	requests      int
	errors        int // connection errors and answers other than 2xx/3xx
	elapsed       time.Duration
	p50, p99, max time.Duration
}

func (r loadResult) perSecond() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// wrkScript POSTs {"trainee_id": id} for the ids of idsFile in turn, each
// id once across the threads, to the paths in turn; done() prints one line
// the bench reads.
const wrkScript = `
local ids = {}
for line in io.lines(%q) do ids[#ids + 1] = line end
local paths = {%s}
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function init(args)
  counter = 0
  nthreads = tonumber(args[1])
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = %q
function request()
  local i = tid + counter * nthreads + 1
  counter = counter + 1
  -- Past the last id, 0: the server refuses it and wrk counts an error.
  local id = ids[i] or "0"
  return wrk.format(nil, paths[(i %% #paths) + 1], nil, '{"trainee_id":' .. id .. '}')
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout + e.status, latency:percentile(50), latency:percentile(99), latency.max))
end
`

// wrkLoad enrols the ids from `connections` connections on two threads for
// `duration`, spread over paths, and reads wrk's summary.
func (b *bench) wrkLoad(paths []string, ids []int64, connections int, duration time.Duration) (loadResult, error) {
	dir, err := os.MkdirTemp("", "takaffoul-wrk-")
	if err != nil {
		return loadResult{}, err
	}
	defer os.RemoveAll(dir)
	var idLines strings.Builder
	for _, id := range ids {
		fmt.Fprintln(&idLines, id)
	}
	idsFile := filepath.Join(dir, "ids")
	if err := os.WriteFile(idsFile, []byte(idLines.String()), 0o600); err != nil {
		return loadResult{}, err
	}
	quoted := make([]string, len(paths))
	for i, p := range paths {
		quoted[i] = strconv.Quote(p)
	}
	script := filepath.Join(dir, "enrol.lua")
	lua := fmt.Sprintf(wrkScript, idsFile, strings.Join(quoted, ", "), "Bearer "+b.token)
	if err := os.WriteFile(script, []byte(lua), 0o600); err != nil {
		return loadResult{}, err
	}
	const threads = 2
	out, err := exec.Command("wrk", "-t", strconv.Itoa(threads), "-c", strconv.Itoa(connections),
		"-d", fmt.Sprintf("%ds", int(duration.Seconds())), "-s", script, b.base, "--", strconv.Itoa(threads)).CombinedOutput()
	if err != nil {
		return loadResult{}, fmt.Errorf("wrk (apt-get install wrk): %v: %s", err, out)
	}
	return parseWrkResult(string(out))
}

// parseWrkResult reads the RESULT line of the script's done(): requests,
// duration (µs), errors, p50, p99 and max latency (µs).
func parseWrkResult(out string) (loadResult, error) {
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 7 || fields[0] != "RESULT" {
			continue
		}
		var n [6]int64
		for i := range n {
			v, err := strconv.ParseInt(fields[i+1], 10, 64)
			if err != nil {
				return loadResult{}, fmt.Errorf("wrk result %q: %w", sc.Text(), err)
			}
			n[i] = v
		}
		us := func(v int64) time.Duration { return time.Duration(v) * time.Microsecond }
		return loadResult{requests: int(n[0] - n[2]), elapsed: us(n[1]), errors: int(n[2]), p50: us(n[3]), p99: us(n[4]), max: us(n[5])}, nil
	}
	return loadResult{}, fmt.Errorf("no result from wrk: %s", out)
}
