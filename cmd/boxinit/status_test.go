package main

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/boxinit/boxinit/internal/status"
)

// statusCmd runs `boxinit status ARGS --socket SOCK` and returns its
// output and exit code.
func statusCmd(t *testing.T, sock string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(boxinitBin, append([]string{"status", "--socket=" + sock}, args...)...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	}
	require.NoError(t, err)
	return string(out), 0
}

func TestStatus_ShowsBootingReadyAndStoppingWithBootStepsMainAndCron(t *testing.T) {
	root := bootTree(t, "DEFAULT_USER=human\n")
	hooks := filepath.Join(root, "etc/boxinit.d")
	require.NoError(t, os.MkdirAll(hooks, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(hooks, "10-slow"), []byte("#!/bin/sh\nsleep 1.5\n"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "etc/cron.d"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc/cron.d/tick"), []byte("@every 1s root true\n"), 0o644))
	sock := filepath.Join(t.TempDir(), "boxinit.sock")

	p := startInit(t, "--root="+root, "--ready-file=/ready", "--socket="+sock, "--cron=/etc/cron.d", "--grace-period=3s",
		"--", "sh", "-c", "trap 'echo ignoring TERM' TERM; while :; do sleep 0.1; done")
	eventually(t, 10*time.Second, "the control socket answers", func() bool {
		_, code := statusCmd(t, sock, "--json")
		return code == 0
	})
	out, code := statusCmd(t, sock, "--ready")
	assert.Equal(t, 1, code, "booting is not ready: %s", out)
	assert.Empty(t, out, "--ready prints nothing")
	doc := queryJSON(t, sock)
	assert.Equal(t, status.Booting, doc.State)

	eventually(t, 15*time.Second, "ready", func() bool { _, code := statusCmd(t, sock, "--ready"); return code == 0 })
	eventually(t, 10*time.Second, "a cron run", func() bool {
		d := queryJSON(t, sock)
		return d.Cron != nil && len(d.Cron.Jobs) == 1 && d.Cron.Jobs[0].Runs > 0
	})
	doc = queryJSON(t, sock)
	assert.Equal(t, status.Ready, doc.State)
	assert.Equal(t, "pid1", doc.Mode)
	require.Len(t, doc.Boot, 7)
	assert.Equal(t, "hooks", doc.Boot[4].Step)
	require.NotNil(t, doc.Main)
	assert.True(t, doc.Main.Running)
	assert.Equal(t, "sh", doc.Main.Argv[0])
	assert.Equal(t, "/etc/cron.d/tick:1", doc.Cron.Jobs[0].Job)
	assert.False(t, doc.Cron.Jobs[0].NextRun.IsZero())

	human, code := statusCmd(t, sock)
	assert.Equal(t, 0, code)
	assert.Contains(t, human, "state: ready since")
	assert.Contains(t, human, "pid 1 (PID 1)")
	assert.Contains(t, human, "/etc/cron.d/tick:1")

	p.signal(syscall.SIGTERM) // the main command ignores it: 3 s of grace
	eventually(t, 5*time.Second, "stopping", func() bool { return queryJSON(t, sock).State == status.Stopping })
	_, code = statusCmd(t, sock, "--ready")
	assert.Equal(t, 1, code, "stopping is not ready")
	code, _ = p.wait(15 * time.Second)
	assert.Equal(t, 137, code)

	out, code = statusCmd(t, sock)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "no boxinit control socket at "+sock)
	_, code = statusCmd(t, sock, "--ready")
	assert.Equal(t, 3, code, "unreachable with --ready")
}

func TestStatus_IsRefusedToANonRootCaller(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "boxinit.sock")
	for _, dir := range []string{filepath.Dir(sock), filepath.Dir(filepath.Dir(sock))} {
		require.NoError(t, os.Chmod(dir, 0o755)) // uid 1000 reaches the socket; its mode is what refuses
	}
	p := startInit(t, "--socket="+sock, "--", "sleep", "30")
	eventually(t, 10*time.Second, "the control socket answers", func() bool { _, code := statusCmd(t, sock, "--json"); return code == 0 })

	cmd := exec.Command(boxinitBin, "status", "--socket="+sock)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 1000, Gid: 1000}}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "%s", out)
	assert.Equal(t, 1, ee.ExitCode())
	assert.Contains(t, string(out), "permission denied on "+sock+": the control socket is root's")
	p.signal(syscall.SIGTERM)
	p.wait(10 * time.Second)
}

func queryJSON(t *testing.T, sock string) status.Document {
	t.Helper()
	out, err := exec.Command(boxinitBin, "status", "--json", "--socket="+sock).Output()
	require.NoError(t, err)
	var d status.Document
	require.NoError(t, json.Unmarshal(out, &d), "%s", out)
	return d
}

func TestStatus_EndsOnSIGTERMLikeAnyClientWhileItWaitsForAnAnswer(t *testing.T) {
	// SIGHUP too: a client catches no signal (it did catch all but the stop
	// signals, and survived a hang-up of its terminal).
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP} {
		sock := filepath.Join(t.TempDir(), "hung.sock")
		l, err := net.Listen("unix", sock)
		require.NoError(t, err)
		accepted := make(chan net.Conn, 1)
		go func() {
			c, err := l.Accept() // and never answer
			if err == nil {
				accepted <- c
			}
		}()
		cmd := exec.Command(boxinitBin, "status", "--socket="+sock)
		require.NoError(t, cmd.Start())
		c := <-accepted
		require.NoError(t, cmd.Process.Signal(sig))
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		c.Close()
		l.Close()
		ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
		assert.True(t, ws.Signaled() && ws.Signal() == sig, "boxinit status must die of %v, got %v", sig, cmd.ProcessState)
	}
}
