//go:build !linux

package repository

import "syscall"

// setUserTimeout does nothing outside Linux, where the server runs: there
// keepalive alone finds a silent link, and statement contexts end the rest.
func setUserTimeout(string, string, syscall.RawConn) error { return nil }
