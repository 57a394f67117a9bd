package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// servePprof serves net/http/pprof on addr (DEBUG_PPROF_ADDR), to see where
// a server's memory or time goes (docs/BENCHMARKS.md). The profiles tell a
// lot about the process, so only a loopback address is accepted; the
// handlers are on a mux of their own, never on the application's.
func servePprof(addr string, log *slog.Logger) error {
	if err := checkLoopback(addr); err != nil {
		return fmt.Errorf("DEBUG_PPROF_ADDR: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("DEBUG_PPROF_ADDR: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Warn("profiling served at http://"+ln.Addr().String()+"/debug/pprof/ (DEBUG_PPROF_ADDR)", "addr", ln.Addr().String())
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("pprof", "error", err)
		}
	}()
	return nil
}

// checkLoopback accepts host:port only when host is a loopback address
// (127.0.0.1, ::1) or "localhost".
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%q is not a loopback address (127.0.0.1:6060, say)", addr)
}
