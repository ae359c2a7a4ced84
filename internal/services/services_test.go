package services

import (
	"context"
	"fmt"
	"log/slog"
	"net"
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

	"github.com/boxinit/boxinit/internal/testutil"
	"github.com/boxinit/boxinit/internal/testutil/testreaper"
	"github.com/boxinit/boxinit/internal/units"
)

const progArg = "services-testprog"

func TestMain(m *testing.M) {
	RunHelperIfAsked()
	if len(os.Args) > 2 && os.Args[1] == progArg {
		os.Exit(testProg(os.Args[2:]))
	}
	os.Exit(m.Run())
}

// testProg plays a notify daemon: "notify DELAY MSG..." sleeps DELAY,
// sends each MSG to $NOTIFY_SOCKET, then sleeps for ever (or exits with
// "exit N" as a message). "sleep D" as a message waits D; MAINPID=self
// names the program's own pid, MAINPID=child a `sleep 100` it starts.
func testProg(args []string) int {
	if args[0] != "notify" {
		return 2
	}
	d, _ := time.ParseDuration(args[1])
	time.Sleep(d)
	for _, msg := range args[2:] {
		if code, ok := strings.CutPrefix(msg, "exit "); ok {
			n, _ := strconv.Atoi(code)
			return n
		}
		if d, ok := strings.CutPrefix(msg, "sleep "); ok {
			dd, _ := time.ParseDuration(d)
			time.Sleep(dd)
			continue
		}
		if msg == "MAINPID=self" {
			msg = "MAINPID=" + strconv.Itoa(os.Getpid())
		}
		if msg == "MAINPID=child" { // a new daemon, left behind
			child := exec.Command("sleep", "100")
			if err := child.Start(); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			msg = "MAINPID=" + strconv.Itoa(child.Process.Pid)
		}
		c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: os.Getenv("NOTIFY_SOCKET"), Net: "unixgram"})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if _, err := c.Write([]byte(msg)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		c.Close()
	}
	select {}
}

type fixture struct {
	root string
	m    *Manager
	log  *testutil.SyncBuffer
}

// setup writes units (name → body) under a temporary root and returns a
// manager for them, whose services run as the test's children through the
// test process's reaper.
func setup(t *testing.T, unitFiles map[string]string) *fixture {
	t.Helper()
	root := t.TempDir()
	for name, body := range unitFiles {
		p := filepath.Join(root, "etc/systemd/system", name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(strings.ReplaceAll(body, "ROOT", root)), 0o644))
	}
	require.NoError(t, os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc/group"), []byte("root:x:0:\nnogroup:x:65534:\nadm:x:4:\n"), 0o644))
	l, err := units.NewLoader(root)
	require.NoError(t, err)
	buf := &testutil.SyncBuffer{}
	m := New(Options{
		Root: root, Env: []string{"PATH=/usr/bin:/bin"}, Log: slog.New(slog.NewTextHandler(buf, nil)),
		Run: testreaper.Get(t), Facts: units.Facts{Root: root, Virtualization: "podman"},
	}, l)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = m.StopAll(ctx)
	})
	return &fixture{root: root, m: m, log: buf}
}

func (f *fixture) status(t *testing.T, name string) Status {
	st, err := f.m.Status(name)
	require.NoError(t, err)
	return st
}

func (f *fixture) eventually(t *testing.T, name string, cond func(Status) bool, what string) Status {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if st := f.status(t, name); cond(st) {
			return st
		}
		time.Sleep(10 * time.Millisecond)
	}
	st := f.status(t, name)
	t.Fatalf("%s: %s never happened; status %+v\nlog:\n%s", name, what, st, f.log.String())
	return st
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		b, err := os.ReadFile(p)
		if err == nil && len(b) > 0 {
			return strings.TrimSpace(string(b))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never written", p)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func replaceRoot(s, root string) string { return strings.ReplaceAll(s, "ROOT", root) }

func gone(pid int) bool {
	return !alive(pid) || testutil.ProcState(pid) == 'Z' || testutil.ProcState(pid) == 0
}

var ctx = context.Background()

func TestService_SimpleStartsAndStopKillsTheWholeUnit(t *testing.T) {
	f := setup(t, map[string]string{"a.service": "[Service]\nExecStart=/bin/sh -c 'sleep 1000 & sleep 1000 & echo started; wait'\n"})
	require.NoError(t, f.m.Start(ctx, "a.service"))
	st := f.status(t, "a.service")
	assert.Equal(t, Active, st.ActiveState)
	assert.Equal(t, "running", st.SubState)
	require.NotZero(t, st.MainPID)
	s, _ := f.m.service("a.service")
	var procs []int
	for deadline := time.Now().Add(3 * time.Second); len(procs) < 3 && time.Now().Before(deadline); {
		procs = s.processes()
		time.Sleep(10 * time.Millisecond)
	}
	require.Len(t, procs, 3, "the shell and its two sleeps")
	f.eventually(t, "a.service", func(st Status) bool { return len(st.Log) > 0 }, "output logged")
	assert.Equal(t, []string{"started"}, f.status(t, "a.service").Log)
	assert.Contains(t, f.log.String(), "unit=a.service")

	require.NoError(t, f.m.Stop(ctx, "a.service"))
	st = f.status(t, "a.service")
	assert.Equal(t, Inactive, st.ActiveState)
	assert.NotContains(t, f.log.String(), "final signal", "SIGTERM reached every process of the unit")
	for _, pid := range procs {
		assert.True(t, gone(pid), "pid %d of the unit left after stop", pid)
	}
}

func TestService_KillModeProcessLeavesTheOtherProcesses(t *testing.T) {
	f := setup(t, map[string]string{"p.service": "[Service]\nKillMode=process\nExecStart=/bin/sh -c 'sleep 1000 & echo $! > ROOT/child; wait'\n"})
	require.NoError(t, f.m.Start(ctx, "p.service"))
	child, _ := strconv.Atoi(readFile(t, filepath.Join(f.root, "child")))
	main := f.status(t, "p.service").MainPID
	require.NoError(t, f.m.Stop(ctx, "p.service"))
	assert.True(t, gone(main))
	assert.False(t, gone(child), "KillMode=process signals the main process only")
	_ = unix.Kill(child, unix.SIGKILL)
}

func TestService_ForkingFindsTheDaemonByPIDFileOrAsTheOneProcessLeft(t *testing.T) {
	f := setup(t, map[string]string{
		"pidfile.service": "[Service]\nType=forking\nPIDFile=/run/d.pid\nExecStart=/bin/sh -c 'mkdir -p ROOT/run; sleep 1000 & echo $! > ROOT/run/d.pid'\n",
		// A double fork: the daemon's parent exits, it is reparented, and is
		// found through the session of the command boxinit started.
		"guess.service": "[Service]\nType=forking\nExecStart=/bin/sh -c '(sleep 1000 & echo $! > ROOT/guessed) ; exit 0'\n",
	})
	require.NoError(t, f.m.Start(ctx, "pidfile.service"))
	pid, _ := strconv.Atoi(readFile(t, filepath.Join(f.root, "run/d.pid")))
	assert.Equal(t, pid, f.status(t, "pidfile.service").MainPID)

	require.NoError(t, f.m.Start(ctx, "guess.service"))
	guessed, _ := strconv.Atoi(readFile(t, filepath.Join(f.root, "guessed")))
	assert.Equal(t, guessed, f.status(t, "guess.service").MainPID)

	// The daemon dies: the unit, which adopted it, gets its exit status.
	require.NoError(t, unix.Kill(guessed, unix.SIGKILL))
	st := f.eventually(t, "guess.service", func(st Status) bool { return st.ActiveState == Failed }, "failed")
	assert.Equal(t, &Exit{Signal: int(unix.SIGKILL), Known: true}, st.LastExit)

	require.NoError(t, f.m.Stop(ctx, "pidfile.service"))
	assert.True(t, gone(pid))
}

func TestService_FailedStartPreRunsStopPostAndFails(t *testing.T) {
	f := setup(t, map[string]string{"f.service": "[Service]\nExecStartPre=-/bin/false\nExecStartPre=/bin/sh -c 'exit 3'\nExecStart=/bin/sh -c 'touch ROOT/main-ran; sleep 1000'\nExecStopPost=/bin/sh -c 'echo $SERVICE_RESULT > ROOT/post'\n"})
	err := f.m.Start(ctx, "f.service")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exit 3")
	st := f.status(t, "f.service")
	assert.Equal(t, Failed, st.ActiveState)
	assert.Equal(t, "exit-code", st.Result)
	assert.NoFileExists(t, filepath.Join(f.root, "main-ran"))
	assert.Equal(t, "exit-code", readFile(t, filepath.Join(f.root, "post")), "ExecStopPost= runs, with $SERVICE_RESULT")
}

func TestService_StopPostSeesHowTheMainProcessEnded(t *testing.T) {
	f := setup(t, map[string]string{"x.service": "[Service]\nExecStart=/bin/sh -c 'exit 5'\n" +
		"ExecStopPost=/bin/sh -c 'echo $SERVICE_RESULT $EXIT_CODE $EXIT_STATUS \"[$MAINPID]\" > ROOT/post'\n"})
	require.NoError(t, f.m.Start(ctx, "x.service"))
	assert.Equal(t, "exit-code exited 5 []", readFile(t, filepath.Join(f.root, "post")))
	assert.Equal(t, Failed, f.eventually(t, "x.service", func(st Status) bool { return st.ActiveState == Failed }, "failed").ActiveState)
}

func TestService_ForkingFailsAtOnceWhenTheDaemonDiedWithoutItsPIDFile(t *testing.T) {
	f := setup(t, map[string]string{"d.service": "[Service]\nType=forking\nTimeoutStartSec=infinity\nPIDFile=/run/never.pid\nExecStart=/bin/sh -c 'true & exit 0'\n"})
	err := f.m.Start(ctx, "d.service")
	require.ErrorContains(t, err, "PIDFile=/run/never.pid: not written, and no process of the unit is left")
}

func TestService_RuntimeDirectoryIsNeverALinkAndOutputIsRedacted(t *testing.T) {
	f := setup(t, map[string]string{
		"l.service": "[Service]\nRuntimeDirectory=l\nExecStart=/bin/sleep 1000\n",
		"s.service": "[Service]\nType=oneshot\nExecStart=/bin/echo the password is hunter2\n",
	})
	f.m.o.Redact = func(s string) string { return strings.ReplaceAll(s, "hunter2", "***") }
	require.NoError(t, os.MkdirAll(filepath.Join(f.root, "run"), 0o755))
	target := t.TempDir()
	require.NoError(t, os.Chmod(target, 0o700))
	require.NoError(t, os.Symlink(target, filepath.Join(f.root, "run/l")))
	err := f.m.Start(ctx, "l.service")
	require.ErrorContains(t, err, "a symbolic link, not a directory")
	fi, err := os.Stat(target)
	require.NoError(t, err)
	assert.Equal(t, os.ModeDir|0o700, fi.Mode(), "the link's target was not touched")

	require.NoError(t, f.m.Start(ctx, "s.service"))
	st := f.eventually(t, "s.service", func(st Status) bool { return len(st.Log) == 1 }, "output")
	assert.Equal(t, []string{"the password is ***"}, st.Log)
	assert.NotContains(t, f.log.String(), "hunter2")
}

func TestService_OneshotRemainsActiveAndRunsExecStopOnStop(t *testing.T) {
	f := setup(t, map[string]string{"o.service": "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sh -c 'echo one >> ROOT/out'\nExecStart=/bin/sh -c 'echo two >> ROOT/out'\nExecStop=/bin/sh -c 'echo stop >> ROOT/out'\n"})
	require.NoError(t, f.m.Start(ctx, "o.service"))
	st := f.status(t, "o.service")
	assert.Equal(t, Active, st.ActiveState)
	assert.Equal(t, "exited", st.SubState)
	require.NoError(t, f.m.Stop(ctx, "o.service"))
	assert.Equal(t, "one\ntwo\nstop", readFile(t, filepath.Join(f.root, "out")))
}

func TestService_NotifyIsUpAtReadyAndFailsWithoutIt(t *testing.T) {
	exe, _ := os.Executable()
	f := setup(t, map[string]string{
		"n.service":     "[Service]\nType=notify\nExecStart=" + exe + " " + progArg + " notify 300ms \"STATUS=warming up\" READY=1\n",
		"early.service": "[Service]\nType=notify\nExecStart=" + exe + " " + progArg + " notify 0s \"exit 4\"\n",
		"slow.service":  "[Service]\nType=notify\nTimeoutStartSec=500ms\nExecStart=" + exe + " " + progArg + " notify 0s\n",
	})
	start := time.Now()
	require.NoError(t, f.m.Start(ctx, "n.service"))
	assert.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond, "Start returns at READY=1, not before")
	st := f.status(t, "n.service")
	assert.Equal(t, Active, st.ActiveState)
	assert.Equal(t, "warming up", st.Notify)

	err := f.m.Start(ctx, "early.service")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exit 4")

	err = f.m.Start(ctx, "slow.service")
	require.Error(t, err)
	st = f.status(t, "slow.service")
	assert.Equal(t, "timeout", st.Result)
}

func TestService_AStopCancelsAStartThatWaits(t *testing.T) {
	exe, _ := os.Executable()
	f := setup(t, map[string]string{
		"never.service": "[Service]\nType=notify\nTimeoutStartSec=infinity\nExecStart=" + exe + " " + progArg + " notify 0s\n",
		"pre.service":   "[Service]\nTimeoutStartSec=infinity\nExecStartPre=/bin/sleep 1000\nExecStart=/bin/sleep 1000\n",
	})
	for _, name := range []string{"never.service", "pre.service"} {
		started := make(chan error, 1)
		go func() { started <- f.m.Start(ctx, name) }()
		f.eventually(t, name, func(st Status) bool { return st.ActiveState == Activating }, "activating")
		time.Sleep(100 * time.Millisecond)
		require.NoError(t, f.m.Stop(ctx, name)) // without the cancel, this waits for ever
		assert.ErrorContains(t, <-started, "cancelled by a stop", name)
		st := f.status(t, name)
		assert.Equal(t, Inactive, st.ActiveState, name)
		s, _ := f.m.service(name)
		assert.Empty(t, s.processes(), name)
	}
}

func TestService_NotifyServiceIsReadyAgainAfterARestart(t *testing.T) {
	exe, _ := os.Executable()
	f := setup(t, map[string]string{"n.service": "[Service]\nType=notify\nRestart=always\nTimeoutStartSec=3s\nExecStart=" + exe + " " + progArg + " notify 0s READY=1\n"})
	require.NoError(t, f.m.Start(ctx, "n.service"))
	first := f.status(t, "n.service").MainPID
	require.NoError(t, unix.Kill(first, unix.SIGKILL))
	st := f.eventually(t, "n.service", func(st Status) bool { return st.ActiveState == Active && st.MainPID != first }, "ready again")
	assert.Equal(t, 1, st.Restarts)
}

func TestService_RestartAlwaysBringsAKilledServiceBackAfterRestartSec(t *testing.T) {
	f := setup(t, map[string]string{"r.service": "[Service]\nRestart=always\nRestartSec=200ms\nExecStart=/bin/sleep 1000\n"})
	require.NoError(t, f.m.Start(ctx, "r.service"))
	first := f.status(t, "r.service").MainPID
	killed := time.Now()
	require.NoError(t, unix.Kill(first, unix.SIGKILL))
	st := f.eventually(t, "r.service", func(st Status) bool { return st.ActiveState == Active && st.MainPID != first && st.MainPID != 0 }, "restart")
	assert.GreaterOrEqual(t, time.Since(killed), 200*time.Millisecond, "RestartSec is waited")
	assert.Equal(t, 1, st.Restarts)
	assert.Equal(t, &Exit{Signal: int(unix.SIGKILL), Known: true}, st.LastExit)

	// systemctl stop is not a failure: no restart.
	require.NoError(t, f.m.Stop(ctx, "r.service"))
	time.Sleep(400 * time.Millisecond)
	assert.Equal(t, Inactive, f.status(t, "r.service").ActiveState)
}

func TestService_RestartPolicyFollowsSystemdServiceTable(t *testing.T) {
	for _, tc := range []struct {
		restart, exit string
		extra         string
		restarted     bool
		state         string
	}{
		{"on-failure", "exit 0", "", false, Inactive},
		{"on-failure", "exit 1", "", true, ""},
		{"on-failure", "exit 255", "RestartPreventExitStatus=255\n", false, Failed},
		{"on-failure", "exit 7", "SuccessExitStatus=7\n", false, Inactive},
		{"on-abnormal", "exit 1", "", false, Failed},
		{"on-abnormal", "kill -KILL $$$$", "", true, ""},
		{"on-abort", "kill -TERM $$$$", "", false, Inactive}, // SIGTERM is a clean exit
		{"on-success", "exit 0", "", true, ""},
		{"no", "exit 1", "", false, Failed},
	} {
		name := "t.service"
		f := setup(t, map[string]string{name: "[Service]\nRestart=" + tc.restart + "\nRestartSec=50ms\n" + tc.extra +
			"ExecStart=/bin/sh -c 'if [ -e ROOT/ran ]; then exec sleep 1000; fi; touch ROOT/ran; " + tc.exit + "'\n"})
		require.NoError(t, f.m.Start(ctx, name))
		what := tc.restart + " " + tc.exit + " " + tc.extra
		if tc.restarted {
			st := f.eventually(t, name, func(st Status) bool { return st.Restarts == 1 && st.ActiveState == Active }, what)
			assert.Equal(t, Active, st.ActiveState, what)
		} else {
			st := f.eventually(t, name, func(st Status) bool { return st.ActiveState == tc.state }, what)
			time.Sleep(150 * time.Millisecond)
			assert.Equal(t, 0, f.status(t, name).Restarts, what)
			assert.Equal(t, tc.state, st.ActiveState, what)
		}
	}
}

func TestService_StartLimitStopsACrashLoop(t *testing.T) {
	f := setup(t, map[string]string{"c.service": "[Unit]\nStartLimitIntervalSec=10s\nStartLimitBurst=3\n[Service]\nRestart=always\nRestartSec=10ms\nExecStart=/bin/false\n"})
	_ = f.m.Start(ctx, "c.service")
	st := f.eventually(t, "c.service", func(st Status) bool { return st.Result == "start-limit-hit" }, "start limit")
	assert.Equal(t, Failed, st.ActiveState)
	assert.Equal(t, 3, st.Restarts, "three starts pass, the fourth is refused")
}

func TestService_StopEscalatesToSIGKILLAfterTimeoutStopSec(t *testing.T) {
	f := setup(t, map[string]string{"s.service": "[Service]\nTimeoutStopSec=300ms\nExecStart=/bin/sh -c 'trap \"\" TERM; echo up > ROOT/up; while :; do sleep 0.05; done'\n"})
	require.NoError(t, f.m.Start(ctx, "s.service"))
	readFile(t, filepath.Join(f.root, "up"))
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	require.NoError(t, f.m.Stop(ctx, "s.service"))
	took := time.Since(start)
	assert.GreaterOrEqual(t, took, 300*time.Millisecond)
	assert.Less(t, took, 3*time.Second)
	assert.Contains(t, f.log.String(), "sending the final signal")
}

func TestService_TimeoutStopSecZeroWaitsForTheRestWithoutLimit(t *testing.T) {
	f := setup(t, map[string]string{"z.service": "[Service]\nTimeoutStopSec=0\n" +
		"ExecStart=/bin/sh -c '(trap \"\" TERM; sleep 0.5; echo done > ROOT/child) & sleep 0.1; exit 1'\n"})
	require.NoError(t, f.m.Start(ctx, "z.service"))
	f.eventually(t, "z.service", func(st Status) bool { return st.ActiveState == Failed }, "failed")
	assert.Equal(t, "done", readFile(t, filepath.Join(f.root, "child")), "the process left got SIGTERM and all the time it needed")
	assert.NotContains(t, f.log.String(), "final signal")
}

func TestService_KillModeMixedAndSendSIGKILL(t *testing.T) {
	f := setup(t, map[string]string{
		// mixed: SIGTERM to the main process only; what is left gets the
		// final SIGKILL at TimeoutStopSec=.
		"mixed.service": "[Service]\nKillMode=mixed\nTimeoutStopSec=300ms\nExecStart=/bin/sh -c 'sleep 1000 & echo $! > ROOT/child; wait'\n",
		// SendSIGKILL=no (mariadb): a process that ignores SIGTERM is left.
		"nokill.service": "[Service]\nSendSIGKILL=no\nTimeoutStopSec=200ms\nExecStart=/bin/sh -c 'trap \"\" TERM; while :; do sleep 0.05; done'\n",
	})
	require.NoError(t, f.m.Start(ctx, "mixed.service"))
	child, _ := strconv.Atoi(readFile(t, filepath.Join(f.root, "child")))
	require.NoError(t, f.m.Stop(ctx, "mixed.service"))
	assert.True(t, gone(child))
	assert.Contains(t, f.log.String(), "final signal", "the child was not sent SIGTERM: it went at the final SIGKILL")

	require.NoError(t, f.m.Start(ctx, "nokill.service"))
	main := f.status(t, "nokill.service").MainPID
	time.Sleep(50 * time.Millisecond)
	err := f.m.Stop(ctx, "nokill.service")
	require.Error(t, err)
	assert.False(t, gone(main), "SendSIGKILL=no: left running")
	assert.Equal(t, Failed, f.status(t, "nokill.service").ActiveState)
	_ = unix.Kill(main, unix.SIGKILL)
}

func TestService_Argv0PrefixAndStartPostSeeMAINPID(t *testing.T) {
	f := setup(t, map[string]string{"a.service": "[Service]\nExecStart=@/bin/sh my-name -c 'echo $0 > ROOT/argv0; exec sleep 1000'\n" +
		"ExecStartPost=/bin/sh -c 'echo $MAINPID > ROOT/mainpid'\n"})
	require.NoError(t, f.m.Start(ctx, "a.service"))
	assert.Equal(t, "my-name", readFile(t, filepath.Join(f.root, "argv0")), "'@': the second word is argv[0]")
	assert.Equal(t, strconv.Itoa(f.status(t, "a.service").MainPID), readFile(t, filepath.Join(f.root, "mainpid")))
}

func TestService_EnvironmentFilesOverrideEnvironmentAndExpandInCommands(t *testing.T) {
	f := setup(t, map[string]string{
		"e.service": "[Service]\nType=oneshot\nEnvironment=A=unit B=unit \"C=with space\"\nEnvironmentFile=-/etc/default/missing\nEnvironmentFile=/etc/default/e\n" +
			"ExecStart=/bin/sh -c 'echo \"$A|$B|$C|$D|$1|$2\" > ROOT/env' sh ${C} $OPTS\n",
		"m.service": "[Service]\nType=oneshot\nEnvironmentFile=/etc/default/missing\nExecStart=/bin/true\n",
	})
	require.NoError(t, os.MkdirAll(filepath.Join(f.root, "etc/default"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(f.root, "etc/default/e"), []byte("B=file\nD='from file'\nOPTS=\"-x -y\"\n"), 0o644))
	require.NoError(t, f.m.Start(ctx, "e.service"))
	assert.Equal(t, "unit|file|with space|from file|with space|-x", readFile(t, filepath.Join(f.root, "env")))

	err := f.m.Start(ctx, "m.service")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "EnvironmentFile=/etc/default/missing")
	assert.Equal(t, "resources", f.status(t, "m.service").Result)
}

func TestService_UserDirectoriesUMaskAndLimitsApply(t *testing.T) {
	testutil.RequireRoot(t)
	f := setup(t, map[string]string{"u.service": "[Service]\nType=oneshot\nUser=nobody\nGroup=nogroup\nSupplementaryGroups=adm\n" +
		"RuntimeDirectory=u/sub\nRuntimeDirectoryMode=2750\nUMask=0077\nLimitNOFILE=1234:2345\nWorkingDirectory=-/nonexistent\n" +
		"ExecStart=/bin/sh -c 'id -u; id -G; ulimit -Sn; ulimit -Hn; pwd; echo $RUNTIME_DIRECTORY; touch ROOT/run/u/sub/f; stat -c %%a ROOT/run/u/sub/f'\n"})
	testutil.OpenToOthers(t, f.root)
	require.NoError(t, os.MkdirAll(filepath.Join(f.root, "run"), 0o755))
	require.NoError(t, f.m.Start(ctx, "u.service"), f.log.String())
	st := f.eventually(t, "u.service", func(st Status) bool { return len(st.Log) >= 7 }, "output")
	assert.Equal(t, []string{"65534", "65534 4", "1234", "2345", f.root, f.root + "/run/u/sub", "600"}, st.Log,
		"uid, groups (Group= and SupplementaryGroups=), LimitNOFILE=, the root for a missing -WorkingDirectory=, $RUNTIME_DIRECTORY, a file made with UMask=0077")
	fi, err := os.Stat(filepath.Join(f.root, "run/u/sub"))
	require.NoError(t, err)
	assert.Equal(t, os.ModeDir|os.ModeSetgid|0o750, fi.Mode())
	assert.Equal(t, uint32(65534), fi.Sys().(*syscall.Stat_t).Uid)
}

func TestService_ConditionsSkipAndAssertsFail(t *testing.T) {
	f := setup(t, map[string]string{
		"c.service": "[Unit]\nConditionPathExists=/etc/ssh/sshd_not_to_be_run\n[Service]\nExecStart=/bin/sleep 1000\n",
		"a.service": "[Unit]\nAssertPathExists=/etc/postgresql/15/main/postgresql.conf\n[Service]\nExecStart=/bin/sleep 1000\n",
	})
	require.NoError(t, f.m.Start(ctx, "c.service"), "a condition that is not met is no error")
	st := f.status(t, "c.service")
	assert.Equal(t, Inactive, st.ActiveState)
	assert.Equal(t, "ConditionPathExists=/etc/ssh/sshd_not_to_be_run", st.Condition)
	err := f.m.Start(ctx, "a.service")
	require.ErrorContains(t, err, "AssertPathExists=/etc/postgresql/15/main/postgresql.conf")
	assert.Equal(t, "assert", f.status(t, "a.service").Result)
}

func TestService_ReloadRunsExecReloadWithMAINPIDAndPropagates(t *testing.T) {
	f := setup(t, map[string]string{
		"parent.service": "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n",
		"child.service": "[Unit]\nPartOf=parent.service\nReloadPropagatedFrom=parent.service\n[Service]\n" +
			"ExecStart=/bin/sh -c 'trap \"echo hup >> ROOT/hups\" HUP; while :; do sleep 0.05; done'\nExecReload=/bin/kill -HUP $MAINPID\n",
	})
	require.NoError(t, f.m.Start(ctx, "parent.service"))
	require.NoError(t, f.m.Start(ctx, "child.service"))
	time.Sleep(100 * time.Millisecond)
	require.NoError(t, f.m.Reload(ctx, "parent.service"), "a reload of the parent reaches its parts")
	assert.Equal(t, "hup", readFile(t, filepath.Join(f.root, "hups")))
	require.NoError(t, f.m.Stop(ctx, "parent.service"))
	assert.Equal(t, Inactive, f.status(t, "child.service").ActiveState, "PartOf=: stopping the parent stops the part")
	err := f.m.Reload(ctx, "parent.service")
	assert.Error(t, err, "an inactive unit cannot reload")
}

func TestBoot_StartsInParallelWhereTheOrderAllowsAndFailsDependents(t *testing.T) {
	f := setup(t, map[string]string{
		"a.service":                           "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sh -c 'date +%%s%%N > ROOT/a0; sleep 0.4; date +%%s%%N > ROOT/a'\n",
		"b.service":                           "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sh -c 'date +%%s%%N > ROOT/b0; sleep 0.4; date +%%s%%N > ROOT/b'\n",
		"c.service":                           "[Unit]\nAfter=a.service\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sh -c 'date +%%s%%N > ROOT/c'\n",
		"bad.service":                         "[Service]\nExecStart=/bin/sh -c 'exit 1'\nType=oneshot\n",
		"dep.service":                         "[Unit]\nRequires=bad.service\nAfter=bad.service\n[Service]\nExecStart=/bin/sleep 1000\n",
		"multi-user.target.wants/a.service":   "",
		"multi-user.target.wants/b.service":   "",
		"multi-user.target.wants/c.service":   "",
		"multi-user.target.wants/dep.service": "",
	})
	// Make the wants entries links, as systemctl enable does.
	for _, n := range []string{"a", "b", "c", "dep"} {
		p := filepath.Join(f.root, "etc/systemd/system/multi-user.target.wants", n+".service")
		require.NoError(t, os.Remove(p))
		require.NoError(t, os.Symlink("/etc/systemd/system/"+n+".service", p))
	}
	l, err := units.NewLoader(f.root)
	require.NoError(t, err)
	f.m.loader = l
	plan, err := l.Boot(units.BootOptions{})
	require.NoError(t, err)
	res := f.m.Boot(ctx, plan)
	byName := map[string]BootResult{}
	for _, r := range res {
		byName[r.Name] = r
	}
	assert.Equal(t, Active, byName["a.service"].State)
	assert.Equal(t, Active, byName["c.service"].State)
	assert.Equal(t, Failed, byName["bad.service"].State)
	assert.Equal(t, Failed, byName["dep.service"].State)
	assert.ErrorContains(t, byName["dep.service"].Err, "dependency: bad.service failed")
	assert.Equal(t, Active, byName["multi-user.target"].State)
	ts := func(n string) int64 {
		v, err := strconv.ParseInt(readFile(t, filepath.Join(f.root, n)), 10, 64)
		require.NoError(t, err)
		return v
	}
	assert.Less(t, ts("a0"), ts("b"), "a and b run side by side")
	assert.Less(t, ts("b0"), ts("a"), "a and b run side by side")
	assert.Greater(t, ts("c"), ts("a"), "c is ordered after a")
}
