package repository_test

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"takaffoul/repository"
)

// A crash leaves postmaster.pid behind, and its process id may since belong
// to another program: the start removes the dead lock file and never
// signals that program.
func TestEmbeddedStartCleansOnlyADeadLeftover(t *testing.T) {
	t.Parallel()
	dir, err := os.MkdirTemp("", "takaffoul-leftover-")
	must(t, err)
	defer os.RemoveAll(dir)
	must(t, os.Chmod(dir, 0o755)) // as root the server runs as "postgres"
	first, err := repository.StartEmbedded(dir, io.Discard)
	must(t, err)
	if first.Joined {
		t.Fatal("the first start joined a server")
	}
	must(t, first.Stop())

	bystander := exec.Command("sleep", "60")
	must(t, bystander.Start())
	defer bystander.Process.Kill()
	pidFile := filepath.Join(first.DataDir, "postmaster.pid")
	must(t, os.WriteFile(pidFile, []byte(fmt.Sprintf("%d\n%s\n1700000000\n5999\n", bystander.Process.Pid, first.DataDir)), 0o600))
	if info, err := os.Stat(first.DataDir); err == nil { // the server's user owns it, as after a real crash
		st := info.Sys().(*syscall.Stat_t)
		must(t, os.Chown(pidFile, int(st.Uid), int(st.Gid)))
	}

	again, err := repository.StartEmbedded(dir, io.Discard)
	must(t, err)
	defer again.Stop()
	if again.Joined {
		t.Error("joined a server that is not running")
	}
	if err := bystander.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("the program holding the old process id was signalled: %v", err)
	}
}
