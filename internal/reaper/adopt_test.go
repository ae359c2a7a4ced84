package reaper

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// daemonize starts script through r as a daemon does it: a child starts
// it in the background and exits at once, so it is reparented to the
// reaper (the test process is a subreaper). The script runs once its
// parent is gone (else the parent shell may reap it itself). It returns
// the daemon's pid.
func daemonize(t *testing.T, r *Reaper, script string) int {
	t.Helper()
	pidFile := filepath.Join(t.TempDir(), "pid")
	p, err := r.Start(sh(`sh -c 'while kill -0 $0 2>/dev/null; do sleep 0.01; done; ` + script + `' $$ & echo $! > ` + pidFile))
	require.NoError(t, err)
	require.Equal(t, 0, p.ExitCode())
	b, err := os.ReadFile(pidFile)
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(t, err)
	return pid
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	require.Eventually(t, func() bool { return unix.Kill(pid, 0) == unix.ESRCH }, 5*time.Second, time.Millisecond, "pid %d reaped", pid)
}

func TestAdopt_DeliversTheExitStatusOfADaemonReparentedToTheReaper(t *testing.T) {
	r := newTestReaper(t)
	for _, tc := range []struct {
		script string
		want   int
	}{
		{"sleep 0.2; exit 3", 3},
		{"sleep 0.2; exit 0", 0},
		{"sleep 0.2; kill -KILL $$", 128 + 9},
	} {
		mark := r.Mark()
		pid := daemonize(t, r, tc.script)
		p, err := r.Adopt(pid, mark)
		require.NoError(t, err)
		select {
		case <-p.Done():
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: the adopted daemon's end never arrived", tc.script)
		}
		assert.True(t, p.Known(), tc.script)
		assert.Equal(t, tc.want, p.ExitCode(), tc.script)
	}
}

func TestAdopt_GetsTheStatusOfADaemonReapedBeforeItWasAdopted(t *testing.T) {
	r := newTestReaper(t)
	mark := r.Mark()
	pid := daemonize(t, r, "exit 7")
	waitGone(t, pid) // reaped as an orphan: nobody had claimed it yet
	p, err := r.Adopt(pid, mark)
	require.NoError(t, err)
	assert.True(t, p.Known())
	assert.Equal(t, 7, p.ExitCode())

	_, err = r.Adopt(pid, r.Mark())
	assert.ErrorIs(t, err, ErrNoProcess, "reaped before the mark: not the process the caller means")
}

func TestAdopt_AReapedPidThatAStrangerReusesGivesTheReapedStatusAndSparesTheStranger(t *testing.T) {
	r := newTestReaper(t)
	mark := r.Mark()
	pid := daemonize(t, r, "exit 5")
	waitGone(t, pid)
	stranger, err := r.Start(&Cmd{Args: []string{"sleep", "60"}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = stranger.Signal(unix.SIGKILL); stranger.Wait() })
	// The kernel gives pid to a new process: pidfd_open(pid) opens the
	// stranger (forcing a real reuse would need pid_max wraps).
	orig := pidfdOpen
	pidfdOpen = func(p, flags int) (int, error) {
		if p == pid {
			return orig(stranger.Pid, flags)
		}
		return orig(p, flags)
	}
	t.Cleanup(func() { pidfdOpen = orig })

	p, err := r.Adopt(pid, mark)
	require.NoError(t, err)
	select {
	case <-p.Done():
	default:
		t.Fatal("adopted the live stranger instead of the reaped process")
	}
	assert.Equal(t, 5, p.ExitCode(), "the process the PID file named ended with 5")
	assert.ErrorIs(t, p.Signal(unix.SIGTERM), os.ErrProcessDone)
	assert.NoError(t, stranger.Signal(0), "the stranger lives on")
}

func TestAdopt_ThePidfdPinsTheAdoptedProcessSoASignalNeverReachesItsSuccessor(t *testing.T) {
	r := newTestReaper(t)
	mark := r.Mark()
	pid := daemonize(t, r, "sleep 60")
	p, err := r.Adopt(pid, mark)
	require.NoError(t, err)
	require.NoError(t, p.Signal(unix.SIGKILL))
	<-p.Done()
	assert.Equal(t, 128+9, p.ExitCode())
	assert.ErrorIs(t, p.Signal(unix.SIGTERM), os.ErrProcessDone)
}

func TestAdopt_ADaemonThatItsOwnParentReapsEndsWithTheStatusUnknown(t *testing.T) {
	r := newTestReaper(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	mark := r.Mark()
	parent, err := r.Start(sh(`sleep 0.3 & echo $! > ` + pidFile + `; wait $!; sleep 1`))
	require.NoError(t, err)
	var pid int
	require.Eventually(t, func() bool {
		b, _ := os.ReadFile(pidFile)
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	}, 5*time.Second, time.Millisecond)
	p, err := r.Adopt(pid, mark)
	require.NoError(t, err)
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("an adopted process that boxinit cannot reap never ended")
	}
	assert.False(t, p.Known(), "its parent, not boxinit, got the status")
	select {
	case <-parent.Done():
		t.Fatal("the adopted process ended before its parent: the parent reaped it")
	default:
	}
	assert.Equal(t, 0, parent.ExitCode())
}

func TestAdopt_AChildStartedThroughTheReaperKeepsItsProc(t *testing.T) {
	r := newTestReaper(t)
	mark := r.Mark()
	p, err := r.Start(sh("exit 4"))
	require.NoError(t, err)
	a, err := r.Adopt(p.Pid, mark)
	require.NoError(t, err)
	assert.Equal(t, 4, p.ExitCode())
	assert.True(t, a.Known(), "the same Proc, or (reaped first) its status from the ring")
	assert.Equal(t, 4, a.ExitCode())
}

func TestRecentOrphans_ForgetsTheOldestAndSaysWhenTheWindowIsIncomplete(t *testing.T) {
	var o recentOrphans
	mark := Mark(o.seq)
	for i := 0; i < recentMax+10; i++ {
		o.add(1000+i, unix.WaitStatus(i<<8))
	}
	_, found, complete := o.find(1000, mark)
	assert.False(t, found, "the first one is forgotten")
	assert.False(t, complete)
	ws, found, _ := o.find(1000+recentMax+9, mark)
	assert.True(t, found)
	assert.Equal(t, (recentMax+9)&0xff, ws.ExitStatus())
	_, found, complete = o.find(1000+recentMax+9, Mark(o.seq))
	assert.False(t, found, "reaped before the mark")
	assert.True(t, complete)
	o.add(42, unix.WaitStatus(1<<8))
	o.add(42, unix.WaitStatus(2<<8))
	ws, found, _ = o.find(42, mark)
	assert.True(t, found)
	assert.Equal(t, 2, ws.ExitStatus(), "the newest reap of a reused pid")
}
