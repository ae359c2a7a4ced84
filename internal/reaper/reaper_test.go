package reaper

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/boxinit/boxinit/internal/testutil"
)

func TestMain(m *testing.M) {
	testutil.RunProgIfAsked()
	os.Exit(m.Run())
}

// The test process becomes a subreaper with one reap loop for all tests;
// nothing here runs the shutdown sequence, so nothing outside the test's
// own children is ever signalled.
var (
	testReaperOnce sync.Once
	testReaper     *Reaper
)

func newTestReaper(t testing.TB) *Reaper {
	t.Helper()
	testReaperOnce.Do(func() {
		r, err := New(slog.New(slog.NewTextHandler(io.Discard, nil)), Catch())
		if err != nil {
			t.Fatal(err)
		}
		testReaper = r
	})
	return testReaper
}

func sh(script string) *Cmd { return &Cmd{Args: []string{"sh", "-c", script}} }

func TestReaper_DeliversTheTrueExitCodeOfEveryChildItStarted(t *testing.T) {
	r := newTestReaper(t)
	for _, tc := range []struct {
		script string
		want   int
	}{
		{"exit 0", 0},
		{"exit 1", 1},
		{"exit 42", 42},
		{"exit 255", 255},
		{"kill -TERM $$", 128 + 15},
		{"kill -KILL $$", 128 + 9},
	} {
		p, err := r.Start(sh(tc.script))
		require.NoError(t, err)
		assert.Equal(t, tc.want, p.ExitCode(), tc.script)
	}
}

func TestReaper_LosesNoExitStatusWhileAStormOfOrphansIsReaped(t *testing.T) {
	testutil.RequireRoot(t) // 10,000 processes may exceed a user's limit
	r := newTestReaper(t)
	before := r.Orphans()
	storm, err := r.Start(&Cmd{Args: testutil.Prog(t, "orphans", "10000")})
	require.NoError(t, err)

	const children, workers = 500, 8
	codes := make(chan [2]int, children)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < children; i += workers {
				want := i % 256
				p, err := r.Start(sh(fmt.Sprintf("exit %d", want)))
				if err != nil {
					codes <- [2]int{want, -1}
					continue
				}
				select {
				case <-p.Done():
					codes <- [2]int{want, p.ExitCode()}
				case <-time.After(20 * time.Second):
					codes <- [2]int{want, -2} // the status never arrived
				}
			}
		}(w)
	}
	wg.Wait()
	close(codes)
	n := 0
	for c := range codes {
		require.Equal(t, c[0], c[1], "a child's exit status was lost or wrong")
		n++
	}
	assert.Equal(t, children, n)
	assert.Equal(t, 0, storm.ExitCode())
	assert.Eventually(t, func() bool { return r.Orphans()-before >= 10000 }, 20*time.Second, 10*time.Millisecond,
		"the storm's 10,000 zombies are reaped as orphans (got %d)", r.Orphans()-before)
}

func TestReaper_StartReports127And126LikeAShell(t *testing.T) {
	r := newTestReaper(t)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(dir+"/plain", []byte("#!/bin/sh\n"), 0o644))
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"missing command", []string{"no-such-command-here"}, 127},
		{"missing path", []string{dir + "/nothing"}, 127},
		{"not executable", []string{dir + "/plain"}, 126},
		{"directory", []string{dir}, 126},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Start(&Cmd{Args: tc.args})
			var se *StartError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tc.want, se.ExitCode())
			assert.Contains(t, err.Error(), tc.args[0])
		})
	}
}

func TestReaper_SignalReachesARunningChildAndFailsCleanlyOnceItIsReaped(t *testing.T) {
	r := newTestReaper(t)
	p, err := r.Start(&Cmd{Args: []string{"sleep", "60"}})
	require.NoError(t, err)
	require.NoError(t, p.Signal(unix.SIGUSR1))
	assert.Equal(t, 128+int(unix.SIGUSR1), p.ExitCode())
	assert.ErrorIs(t, p.Signal(unix.SIGTERM), os.ErrProcessDone)
}

func TestReaper_StartGivesTheChildItsEnvDirAndStdio(t *testing.T) {
	r := newTestReaper(t)
	dir := t.TempDir()
	out, err := os.Create(dir + "/out")
	require.NoError(t, err)
	defer out.Close()
	p, err := r.Start(&Cmd{
		Args:   []string{"sh", "-c", `echo "$GREETING from $(pwd)"; cat`},
		Env:    []string{"GREETING=hello", "PATH=" + DefaultPath},
		Dir:    dir,
		Stdout: out,
	})
	require.NoError(t, err)
	require.Equal(t, 0, p.ExitCode())
	got, err := os.ReadFile(dir + "/out")
	require.NoError(t, err)
	assert.Equal(t, "hello from "+dir+"\n", string(got), "stdin defaults to /dev/null, so cat ends at once")
}
