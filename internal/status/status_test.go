package status

import (
	"bytes"
	"context"
	"flag"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func sample() Document {
	code := 0
	return Document{
		Version: Version, Boxinit: "v0.1.0", PID: 1, Mode: "pid1", Started: t0, State: Ready, ReadySince: t0.Add(2 * time.Second),
		Boot: []BootStep{
			{Step: "hostname", Outcome: "warning", Duration: 1200 * time.Microsecond, Message: "sethostname: not permitted without CAP_SYS_ADMIN (normal in Kubernetes); /etc/hostname and /etc/hosts are set"},
			{Step: "user", Outcome: "changed", Duration: 8 * time.Millisecond, Message: "wrote /etc/passwd"},
			{Step: "ready", Outcome: "changed", Duration: 50 * time.Microsecond},
		},
		Main:      &Main{Argv: []string{"/usr/sbin/sshd", "-D", "-e"}, PID: 42, Started: t0.Add(2 * time.Second), Running: true},
		Processes: Processes{Children: 3, OrphansReaped: 17},
		Cron: &Cron{
			Jobs: []CronJob{{Job: "/etc/cron.d/backup:3", Schedule: "30 2 * * *", User: "human", Command: "/home/human/bin/backup --all",
				Runs: 1, LastStart: t0.Add(time.Minute), LastCode: code, LastTook: 1500 * time.Millisecond, NextRun: t0.Add(16*time.Hour + 30*time.Minute)}},
			Rejected: []string{`/etc/cron.d/app:2: unknown user "bob" (not in /etc/passwd)`},
		},
	}
}

func TestRender_FitsAnEightyColumnTerminal(t *testing.T) {
	d := sample()
	var b bytes.Buffer
	Render(&b, &d, t0.Add(5*time.Minute))
	golden := filepath.Join("testdata", "status.golden")
	if *update {
		require.NoError(t, os.WriteFile(golden, b.Bytes(), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), b.String())
	for _, line := range strings.Split(b.String(), "\n") {
		assert.LessOrEqual(t, len([]rune(line)), 80, line)
	}
}

func serve(t *testing.T, snapshot func() Document) string {
	path := filepath.Join(t.TempDir(), "run", "boxinit.sock")
	l, err := Listen(path)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Serve(ctx, l, snapshot, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	t.Cleanup(func() { cancel(); <-done })
	return path
}

func TestListen_TheSocketIsRootsOnlyFromTheMomentItExists(t *testing.T) {
	for i := 0; i < 50; i++ {
		path := filepath.Join(t.TempDir(), "boxinit.sock")
		l, err := Listen(path)
		require.NoError(t, err)
		fi, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
		l.Close()
	}
}

func TestServeAndQuery_RoundTripTheDocument(t *testing.T) {
	want := sample()
	path := serve(t, func() Document { return want })
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	got, err := Query(path, time.Second)
	require.NoError(t, err)
	assert.Equal(t, want.Boot, got.Boot)
	assert.Equal(t, want.Main.Argv, got.Main.Argv)
	assert.Equal(t, want.Cron.Jobs[0].Job, got.Cron.Jobs[0].Job)
	assert.True(t, want.ReadySince.Equal(got.ReadySince))
}

func TestServe_AReadinessProbeIsAnsweredWhile1000IdleClientsHoldConnections(t *testing.T) {
	path := serve(t, func() Document { return sample() })
	for i := 0; i < 1000; i++ {
		c, err := net.Dial("unix", path)
		require.NoError(t, err)
		defer c.Close()
	}
	_, err := Query(path, 5*time.Second)
	require.NoError(t, err, "the probe waited behind idle clients")
}

func TestServe_KeepsAtMost64ConnectionsByClosingTheLongestIdle(t *testing.T) {
	old := connTimeout
	connTimeout = time.Minute // only the room rule closes a connection here
	t.Cleanup(func() { connTimeout = old })
	path := serve(t, func() Document { return sample() })
	var idle []net.Conn
	for i := 0; i < maxConns+100; i++ {
		c, err := net.Dial("unix", path)
		require.NoError(t, err)
		defer c.Close()
		idle = append(idle, c)
	}
	_, err := Query(path, 5*time.Second)
	require.NoError(t, err)

	_ = idle[0].SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = idle[0].Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF, "the longest idle client was closed to make room")
	last := idle[len(idle)-1]
	_ = last.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	_, err = last.Read(make([]byte, 1))
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "the newest idle client is still open")
}

func TestServe_RejectsOversizedAndUnknownRequests(t *testing.T) {
	path := serve(t, func() Document { return sample() })
	c, err := net.Dial("unix", path)
	require.NoError(t, err)
	_, _ = c.Write(bytes.Repeat([]byte("x"), 2*maxRequest))
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	b, _ := io.ReadAll(c)
	assert.Empty(t, b, "an oversized request gets no answer")
	c.Close()

	c, err = net.Dial("unix", path)
	require.NoError(t, err)
	defer c.Close()
	_, _ = c.Write([]byte(`{"verb":"reboot"}` + "\n"))
	b, _ = io.ReadAll(c)
	assert.Contains(t, string(b), `unknown request`)
}

func TestServe_ReplacesAStaleSocket(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "boxinit.sock")
	l, err := net.Listen("unix", path)
	require.NoError(t, err)
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close() // a socket file nobody listens on, as after a crash
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l, err = Listen(path)
	require.NoError(t, err)
	go func() {
		Serve(ctx, l, func() Document { return sample() }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	_, err = Query(path, 5*time.Second)
	require.NoError(t, err)
}

func TestQuery_SaysWhyNothingAnswers(t *testing.T) {
	dir := t.TempDir()
	_, err := Query(filepath.Join(dir, "none.sock"), time.Second)
	assert.ErrorContains(t, err, "no boxinit control socket at "+dir+"/none.sock: boxinit is not running here, or it was started with another --socket")

	path := filepath.Join(dir, "stale.sock")
	l, err := net.Listen("unix", path)
	require.NoError(t, err)
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	_, err = Query(path, time.Second)
	assert.ErrorContains(t, err, "nothing answers on "+path+": a stale socket")
}
