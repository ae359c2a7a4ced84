package services

import (
	"fmt"
	"hash/fnv"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/boxinit/boxinit/internal/reaper"
	"github.com/boxinit/boxinit/internal/testutil"
	"github.com/boxinit/boxinit/internal/testutil/testreaper"
)

// A classic double-forking daemon, as nginx or any SysV daemon: the
// command boxinit starts forks a child, which starts the daemon in the
// background and exits, so the daemon is reparented to boxinit; the
// daemon writes its PID file. The first time, it then ends after $1
// seconds with status $2 (or kills itself with SIGKILL for "signal");
// started again, it runs.
const (
	daemonStart = "#!/bin/sh\n( \"$0-main\" \"$@\" & )\nexit 0\n"
	daemonMain  = `#!/bin/sh
dir=$(dirname "$0")
echo $$ > "$dir/run/d.pid"
if [ -e "$dir/ran" ]; then exec sleep 1000; fi
touch "$dir/ran"
sleep "$1"
case $2 in
signal) kill -KILL $$ ;;
*) exit "$2" ;;
esac
`
)

func TestService_ForkingDaemonsRealExitStatusDecidesRestartAsInSystemd(t *testing.T) {
	for _, tc := range []struct {
		restart, delay, end string
		restarted           bool
		state               string
		exit                Exit
	}{
		{"on-failure", "0.2", "3", true, "", Exit{Code: 3, Known: true}},
		{"on-failure", "0", "3", true, "", Exit{Code: 3, Known: true}}, // ends before its PID file is read
		{"on-failure", "0.2", "0", false, Inactive, Exit{Code: 0, Known: true}},
		{"on-failure", "0.2", "signal", true, "", Exit{Signal: int(unix.SIGKILL), Known: true}},
		{"on-abnormal", "0.2", "signal", true, "", Exit{Signal: int(unix.SIGKILL), Known: true}},
		{"on-abnormal", "0.2", "3", false, Failed, Exit{Code: 3, Known: true}},
	} {
		what := "Restart=" + tc.restart + ", daemon ends with " + tc.end + " after " + tc.delay + "s"
		f := setup(t, map[string]string{"d.service": "[Service]\nType=forking\nPIDFile=/run/d.pid\nRestart=" + tc.restart +
			"\nRestartSec=50ms\nExecStart=ROOT/daemon " + tc.delay + " " + tc.end + "\n"})
		require.NoError(t, os.MkdirAll(filepath.Join(f.root, "run"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(f.root, "daemon"), []byte(daemonStart), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(f.root, "daemon-main"), []byte(daemonMain), 0o755))
		require.NoError(t, f.m.Start(ctx, "d.service"), what)
		var st Status
		if tc.restarted {
			st = f.eventually(t, "d.service", func(st Status) bool { return st.Restarts == 1 && st.ActiveState == Active }, what)
		} else {
			st = f.eventually(t, "d.service", func(st Status) bool { return st.ActiveState == tc.state }, what)
			time.Sleep(150 * time.Millisecond)
			assert.Equal(t, 0, f.status(t, "d.service").Restarts, what)
		}
		require.NotNil(t, st.LastExit, what)
		assert.Equal(t, tc.exit, *st.LastExit, what)
		require.NoError(t, f.m.Stop(ctx, "d.service"))
	}
}

func TestService_NotifyMAINPIDIsAdoptedAndItsExitStatusKnown(t *testing.T) {
	exe, _ := os.Executable()
	// The command boxinit starts forks the real daemon and lingers; the
	// daemon says MAINPID= (itself) and READY=1, then exits 4.
	f := setup(t, map[string]string{"n.service": "[Service]\nType=notify\nNotifyAccess=all\n" +
		"ExecStart=/bin/sh -c '(" + exe + " " + progArg + " notify 0s MAINPID=self READY=1 \"sleep 300ms\" \"exit 4\" &) ; sleep 5'\n"})
	require.NoError(t, f.m.Start(ctx, "n.service"))
	st := f.status(t, "n.service")
	require.Equal(t, Active, st.ActiveState)
	daemon := st.MainPID
	cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(daemon), "cmdline"))
	require.NoError(t, err)
	require.Contains(t, string(cmdline), progArg, "the main process is the MAINPID= daemon, not the shell")
	st = f.eventually(t, "n.service", func(st Status) bool { return st.ActiveState == Failed }, "failed")
	assert.Equal(t, &Exit{Code: 4, Known: true}, st.LastExit, "the MAINPID= process %d ended with 4", daemon)
	assert.Equal(t, "exit-code", st.Result)
}

// A PID file that someone other than root could have written (redis,
// postgres and the like write theirs as their user) is taken only when it
// names a process of the unit, as systemd does: otherwise a user could
// make boxinit adopt any process and signal it as root when the unit stops.
func TestService_APIDFileNotRootsNamingAProcessOutsideTheUnitIsRefused(t *testing.T) {
	testutil.RequireRoot(t) // the PID file is chowned to a user
	victim := exec.Command("sleep", "100")
	require.NoError(t, victim.Start())
	t.Cleanup(func() { _ = victim.Process.Kill(); _ = victim.Wait() })
	script := "#!/bin/sh\necho " + strconv.Itoa(victim.Process.Pid) + " > \"$(dirname \"$0\")/run/d.pid\"\n" +
		"chown 1000 \"$(dirname \"$0\")/run/d.pid\"\n( sleep 100 & )\nexit 0\n"
	f := setup(t, map[string]string{"d.service": "[Service]\nType=forking\nPIDFile=/run/d.pid\nTimeoutStartSec=1s\nExecStart=ROOT/daemon\n"})
	require.NoError(t, os.MkdirAll(filepath.Join(f.root, "run"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(f.root, "daemon"), []byte(script), 0o755))
	err := f.m.Start(ctx, "d.service")
	require.Error(t, err, "no main process of the unit was named")
	assert.NotEqual(t, victim.Process.Pid, f.status(t, "d.service").MainPID)
	_ = f.m.Stop(ctx, "d.service")
	assert.NoError(t, victim.Process.Signal(unix.Signal(0)), "the process outside the unit was not signalled")

	// a user's PID file naming a process of the unit is taken
	// ($! of the subshell: `pgrep -n sleep` took another test's sleep.)
	script = "#!/bin/sh\n( exec sleep 100 & echo $! > \"$(dirname \"$0\")/run/d.pid\" )\nchown 1000 \"$(dirname \"$0\")/run/d.pid\"\nexit 0\n"
	require.NoError(t, os.WriteFile(filepath.Join(f.root, "daemon"), []byte(script), 0o755))
	require.NoError(t, f.m.Start(ctx, "d.service"), "a pid of the unit in a user's PID file is taken")
	assert.NotZero(t, f.status(t, "d.service").MainPID)
	require.NoError(t, f.m.Stop(ctx, "d.service"))

	// and so is one of the file owner's own processes outside the unit
	// (postgres's pg_ctl puts the postmaster in a session of its own, and
	// it writes its PID file as postgres): its owner could signal it anyway
	own := exec.Command("setpriv", "--reuid=1000", "--regid=1000", "--clear-groups", "sleep", "100")
	require.NoError(t, own.Start())
	t.Cleanup(func() { _ = own.Process.Kill(); _ = own.Wait() })
	script = "#!/bin/sh\necho " + strconv.Itoa(own.Process.Pid) + " > \"$(dirname \"$0\")/run/d.pid\"\n" +
		"chown 1000 \"$(dirname \"$0\")/run/d.pid\"\nexit 0\n"
	require.NoError(t, os.WriteFile(filepath.Join(f.root, "daemon"), []byte(script), 0o755))
	require.NoError(t, f.m.Start(ctx, "d.service"), "the owner's own process is taken")
	assert.Equal(t, own.Process.Pid, f.status(t, "d.service").MainPID)
}

// A daemon that re-executes itself says MAINPID= after READY=1: the new
// process is the main one from then on. The old main's end does not end
// the service; the new one's does, with its own exit status.
func TestService_AMAINPIDAfterREADYMakesTheNamedProcessTheMainOne(t *testing.T) {
	exe, _ := os.Executable()
	f := setup(t, map[string]string{"n.service": "[Service]\nType=notify\nNotifyAccess=all\n" +
		"ExecStart=/bin/sh -c '" + exe + " " + progArg + " notify 0s READY=1 & sleep 0.3; " +
		"(" + exe + " " + progArg + " notify 0s MAINPID=self \"sleep 700ms\" \"exit 4\" &); sleep 0.3; exit 0'\n"})
	require.NoError(t, f.m.Start(ctx, "n.service"))
	shell := f.status(t, "n.service").MainPID
	st := f.eventually(t, "n.service", func(st Status) bool { return st.MainPID != shell }, "a new main process")
	daemon := st.MainPID
	cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(daemon), "cmdline"))
	require.NoError(t, err)
	require.Contains(t, string(cmdline), "MAINPID=self", "the process that said MAINPID=")

	time.Sleep(500 * time.Millisecond) // the shell, the old main process, has exited 0
	_, err = os.Stat(filepath.Join("/proc", strconv.Itoa(shell)))
	require.ErrorIs(t, err, os.ErrNotExist, "the old main process is gone")
	st = f.status(t, "n.service")
	assert.Equal(t, Active, st.ActiveState, "the old main process's end does not end the service")
	assert.Equal(t, daemon, st.MainPID)

	st = f.eventually(t, "n.service", func(st Status) bool { return st.ActiveState == Failed }, "failed")
	assert.Equal(t, &Exit{Code: 4, Known: true}, st.LastExit, "the new main process %d ended with 4", daemon)
}

// (Short name: the notify socket lives under t.TempDir, which holds it.)
// MAINPID= from a sender that is not root must name a process of the unit
// or one of the sender's own: else any service's user could make boxinit
// adopt a process of root's and signal it when the unit stops.
func TestService_AUsersForeignMAINPIDIsRefused(t *testing.T) {
	testutil.RequireRoot(t)
	victim := exec.Command("sleep", "100")
	require.NoError(t, victim.Start())
	t.Cleanup(func() { _ = victim.Process.Kill(); _ = victim.Wait() })
	prog := progForOthers(t)
	f := setup(t, map[string]string{"n.service": "[Service]\nType=notify\nUser=nobody\n" +
		"ExecStart=" + prog + " " + progArg + " notify 0s READY=1 \"sleep 200ms\" MAINPID=" + strconv.Itoa(victim.Process.Pid) + "\n"})
	require.NoError(t, f.m.Start(ctx, "n.service"), f.log.String())
	main := f.status(t, "n.service").MainPID
	time.Sleep(500 * time.Millisecond)
	assert.Equal(t, main, f.status(t, "n.service").MainPID, "the main process stays")
	assert.Contains(t, f.log.String(), "MAINPID= refused")
	require.NoError(t, f.m.Stop(ctx, "n.service"))
	assert.NoError(t, victim.Process.Signal(unix.Signal(0)), "the process outside the unit was not signalled")
}

// A MAINPID= naming no live process changes nothing: the main process
// stays, and no bare pid that could be given to another process later is
// kept (a stop would have signalled it).
func TestService_AMAINPIDOfNoLiveProcessLeavesTheMainProcess(t *testing.T) {
	exe, _ := os.Executable()
	gone, err := testreaper.Get(t).Start(&reaper.Cmd{Args: []string{"true"}}) // through the test's reaper: os/exec's wait would race it
	require.NoError(t, err)
	gone.Wait()
	f := setup(t, map[string]string{"n.service": "[Service]\nType=notify\n" +
		"ExecStart=" + exe + " " + progArg + " notify 0s READY=1 \"sleep 100ms\" MAINPID=" + strconv.Itoa(gone.Pid) + "\n"})
	require.NoError(t, f.m.Start(ctx, "n.service"))
	main := f.status(t, "n.service").MainPID
	require.Eventually(t, func() bool { return strings.Contains(f.log.String(), "MAINPID= names no process left") },
		5*time.Second, 10*time.Millisecond, f.log.String())
	assert.Equal(t, main, f.status(t, "n.service").MainPID)
	require.NoError(t, f.m.Stop(ctx, "n.service"))
}

// The usual hand-over: the main process starts its successor, says
// MAINPID= and exits at once. Its end is reaped as soon as the datagram is
// queued; the message is still handled first (systemd reads notifications
// before SIGCHLD), so the service stays up with the successor as main.
// (Not parallel: beforeNotify is the package's.)
func TestService_AHandOverKeepsTheServiceUp(t *testing.T) {
	exe, _ := os.Executable()
	// The message is handled late (the reader was busy): the main
	// process's end is seen first, and must wait for it.
	beforeNotify = func(m notifyMsg) {
		if _, ok := m.fields["MAINPID"]; ok {
			time.Sleep(200 * time.Millisecond)
		}
	}
	t.Cleanup(func() { beforeNotify = nil })
	for i := 0; i < 2; i++ {
		f := setup(t, map[string]string{"h.service": "[Service]\nType=notify\n" +
			"ExecStart=" + exe + " " + progArg + " notify 0s READY=1 \"sleep 100ms\" MAINPID=child \"exit 0\"\n"})
		require.NoError(t, f.m.Start(ctx, "h.service"))
		first := f.status(t, "h.service").MainPID
		st := f.eventually(t, "h.service", func(st Status) bool { return st.MainPID != first && st.MainPID != 0 }, "the successor as main")
		successor := st.MainPID
		time.Sleep(300 * time.Millisecond)
		st = f.status(t, "h.service")
		assert.Equal(t, Active, st.ActiveState, "run %d: %s", i, f.log.String())
		assert.Equal(t, successor, st.MainPID)
		cmdline, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(successor), "cmdline"))
		assert.Contains(t, string(cmdline), "sleep")
		require.NoError(t, f.m.Stop(ctx, "h.service"))
	}
}

// NotifyAccess=all is every process of the unit (systemd: its cgroup),
// not every process that can reach the socket (0777, so that a service's
// user can): a READY=1 from another user's process outside the unit does
// not make the unit ready.
func TestService_NotifyAccessAllRefusesAnOutsider(t *testing.T) {
	testutil.RequireRoot(t)
	prog := progForOthers(t)
	f := setup(t, map[string]string{"w.service": "[Service]\nType=notify\nNotifyAccess=all\nTimeoutStartSec=1500ms\nExecStart=/bin/sleep 100\n"})
	testutil.OpenToOthers(t, f.root)
	h := fnv.New32a()
	h.Write([]byte("w.service"))
	sock := filepath.Join(f.root, "run/boxinit/notify", fmt.Sprintf("%08x", h.Sum32()))

	started := make(chan error, 1)
	go func() { started <- f.m.Start(ctx, "w.service") }()
	require.Eventually(t, func() bool { _, err := os.Stat(sock); return err == nil }, 5*time.Second, 10*time.Millisecond)
	log, code := testreaper.Run(t, &reaper.Cmd{Args: []string{prog, progArg, "notify", "0s", "READY=1", "exit 0"},
		Env: []string{"NOTIFY_SOCKET=" + sock}, Sys: &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}})
	require.Zero(t, code, "the outsider's message was sent: %s", log)

	err := <-started
	require.Error(t, err, "the outsider's READY=1 made the unit ready")
	assert.Contains(t, err.Error(), "READY=1")
}

// progForOthers is a copy of the test binary (the test program's daemon)
// that other users can run: the build's own directory is 0700.
func progForOthers(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	data, err := os.ReadFile(exe)
	require.NoError(t, err)
	prog := filepath.Join(t.TempDir(), "prog")
	require.NoError(t, os.WriteFile(prog, data, 0o755))
	testutil.OpenToOthers(t, filepath.Dir(prog))
	return prog
}

// A notify daemon that says READY=1 and exits at once started: its message
// was queued before its end, and is read before the end is judged (here
// the reader is held back 200 ms, as a busy one would be).
func TestService_READYSentJustBeforeTheMainProcessEndsStillCounts(t *testing.T) {
	exe, _ := os.Executable()
	beforeNotify = func(notifyMsg) { time.Sleep(200 * time.Millisecond) }
	t.Cleanup(func() { beforeNotify = nil })
	f := setup(t, map[string]string{"r.service": "[Service]\nType=notify\n" +
		"ExecStart=" + exe + " " + progArg + " notify 0s READY=1 \"exit 0\"\n"})
	require.NoError(t, f.m.Start(ctx, "r.service"), f.log.String())
	st := f.eventually(t, "r.service", func(st Status) bool { return st.ActiveState == Inactive }, "ended")
	assert.Equal(t, "success", st.Result)
}
