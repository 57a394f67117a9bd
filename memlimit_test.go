package main

import (
	"math"
	"testing"
)

func TestMemoryLimitChoice(t *testing.T) {
	for _, c := range []struct {
		setting   string
		container int64
		want      int64
		from      string
	}{
		{"", 0, 512 << 20, "default"},
		{"", 2 << 30, 1536 << 20, "container"},
		{"256MiB", 2 << 30, 256 << 20, "MEMORY_LIMIT"},
		{"1GiB", 0, 1 << 30, "MEMORY_LIMIT"},
		{"700000000", 0, 700_000_000, "MEMORY_LIMIT"},
		{"64KiB", 0, 64 << 10, "MEMORY_LIMIT"},
		{"off", 2 << 30, math.MaxInt64, "MEMORY_LIMIT"},
	} {
		got, from, err := memoryLimit(c.setting, c.container)
		if err != nil || got != c.want || from != c.from {
			t.Errorf("memoryLimit(%q, %d) = %d, %s, %v; want %d, %s", c.setting, c.container, got, from, err, c.want, c.from)
		}
	}
	for _, bad := range []string{"lots", "512MB", "-1GiB", "0", "1.5GiB", "99999999999TiB"} {
		if _, _, err := memoryLimit(bad, 0); err == nil {
			t.Errorf("MEMORY_LIMIT=%q was accepted", bad)
		}
	}
}
