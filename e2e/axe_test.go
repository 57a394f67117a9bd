//go:build e2e

package e2e

import (
	"archive/tar"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// axeVersion is the axe-core the walk injects: fetched once with
// `npm pack` into a cache folder outside the repository (AXE_CORE names
// an axe.min.js to use instead, for a machine without npm).
const axeVersion = "4.14.1"

// axeSource answers axe.min.js, fetching it on first use.
func axeSource(t *testing.T) string {
	t.Helper()
	path := os.Getenv("AXE_CORE")
	if path == "" {
		cache, err := os.UserCacheDir()
		must(t, err)
		dir := filepath.Join(cache, "takaffoul-e2e", "axe-core-"+axeVersion)
		path = filepath.Join(dir, "axe.min.js")
		if _, err := os.Stat(path); err != nil {
			fetchAxe(t, dir, path)
		}
	}
	src, err := os.ReadFile(path)
	must(t, err)
	if !strings.Contains(string(src[:min(len(src), 200)]), "axe v") {
		t.Fatalf("%s is not axe-core", path)
	}
	return string(src)
}

// fetchAxe packs axe-core with npm into dir and keeps its axe.min.js as path.
func fetchAxe(t *testing.T, dir, path string) {
	t.Helper()
	must(t, os.MkdirAll(dir, 0o755))
	cmd := exec.Command("npm", "pack", "--silent", "axe-core@"+axeVersion)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("npm pack axe-core (install npm, or set AXE_CORE to an axe.min.js): %v", err)
	}
	tgz := filepath.Join(dir, strings.TrimSpace(string(out)))
	f, err := os.Open(tgz)
	must(t, err)
	defer f.Close()
	gz, err := gzip.NewReader(f)
	must(t, err)
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			t.Fatalf("%s holds no package/axe.min.js", tgz)
		}
		must(t, err)
		if h.Name == "package/axe.min.js" {
			src, err := io.ReadAll(tr)
			must(t, err)
			must(t, os.WriteFile(path+".part", src, 0o644))
			must(t, os.Rename(path+".part", path))
			return
		}
	}
}
