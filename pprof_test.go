package main

import "testing"

// The profiles tell a lot about the process: DEBUG_PPROF_ADDR is refused
// unless it is a loopback address.
func TestPprofIsServedOnALoopbackAddressOnly(t *testing.T) {
	t.Parallel()
	for addr, ok := range map[string]bool{
		"127.0.0.1:6060": true, "localhost:6060": true, "[::1]:6060": true, "127.0.0.2:0": true,
		":6060": false, "0.0.0.0:6060": false, "192.168.1.5:6060": false, "[::]:6060": false, "127.0.0.1": false,
	} {
		if err := checkLoopback(addr); (err == nil) != ok {
			t.Errorf("%q: accepted %v, want %v (%v)", addr, err == nil, ok, err)
		}
	}
}
