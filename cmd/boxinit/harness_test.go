package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxinit/boxinit/internal/sigearly"
	"github.com/boxinit/boxinit/internal/testutil"
)

// boxinitBin is the binary under test, built once by TestMain.
var boxinitBin string

func TestMain(m *testing.M) {
	sigearly.Release() // this test binary is not an init: Ctrl-C ends it
	testutil.RunProgIfAsked()
	dir, err := os.MkdirTemp("", "boxinit-test")
	if err != nil {
		panic(err)
	}
	boxinitBin = filepath.Join(dir, "boxinit")
	_ = os.Chmod(dir, 0o755) // other users run it too (boxinit status as uid 1000)
	build := exec.Command("go", "build", "-o", boxinitBin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		panic("go build: " + err.Error() + "\n" + string(out))
	}
	code := 1
	defer func() { os.RemoveAll(dir); os.Exit(code) }()
	code = m.Run()
}

// initProc is boxinit running as PID 1 of a new PID namespace. Its pid is
// as the test sees it, so signals and /proc scans need no translation.
type initProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	out    testutil.SyncBuffer // stdout and stderr
	done   chan struct{}
	start  time.Time
	exited time.Time
}

// startInit runs boxinit with args as PID 1 of a fresh PID namespace: its
// kill(-1) at shutdown reaches only the namespace. When the test ends,
// SIGKILL to it ends the whole namespace. As in a container, /proc is the
// namespace's own: unshare(1) mounts it in a private mount namespace, then
// execs boxinit (same pid).
func startInit(t *testing.T, args ...string) *initProc {
	t.Helper()
	testutil.RequireRoot(t)
	// The machine's own crontabs and systemd units are not the test's
	// business: --cron= and --services=false unless the test says otherwise.
	args = append([]string{"--ready-file=" + filepath.Join(t.TempDir(), "ready"), "--cron=", "--socket=", "--services=false"}, args...)
	p := &initProc{t: t, cmd: exec.Command("unshare", append([]string{"--mount-proc", boxinitBin}, args...)...), done: make(chan struct{})}
	p.cmd.Stdout = &p.out
	p.cmd.Stderr = &p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
	p.start = time.Now()
	require.NoError(t, p.cmd.Start())
	go func() {
		_ = p.cmd.Wait()
		p.exited = time.Now()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("boxinit output:\n%s", p.out.String())
		}
	})
	return p
}

func (p *initProc) pid() int { return p.cmd.Process.Pid }

func (p *initProc) signal(sig syscall.Signal) {
	p.t.Helper()
	require.NoError(p.t, p.cmd.Process.Signal(sig))
}

// wait returns boxinit's exit code (128+N if it died of signal N) and how
// long it ran; it fails the test if boxinit has not exited within timeout.
func (p *initProc) wait(timeout time.Duration) (int, time.Duration) {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.t.Fatalf("boxinit still running after %s; output:\n%s", timeout, p.out.String())
	}
	ws := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	code := ws.ExitStatus()
	if ws.Signaled() {
		code = 128 + int(ws.Signal())
	}
	return code, p.exited.Sub(p.start)
}

// waitFile waits until path exists, failing the test after timeout.
func waitFile(t *testing.T, path string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		} else if !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear within %s", path, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// eventually polls cond until it holds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// script writes a shell script into dir and returns its path.
func script(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755))
	return path
}
