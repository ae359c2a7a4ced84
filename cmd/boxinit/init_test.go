package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/boxinit/boxinit/internal/testutil"
)

// Every test here runs boxinit as PID 1 of a new PID namespace (startInit),
// or inside `unshare --pid` when it must not be PID 1: its shutdown never
// reaches a process outside the namespace.

func TestInit_PassesTheMainCommandsExitCodeThrough(t *testing.T) {
	for _, code := range []int{0, 1, 2, 42, 255} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			p := startInit(t, "--", "sh", "-c", fmt.Sprintf("exit %d", code))
			got, _ := p.wait(10 * time.Second)
			assert.Equal(t, code, got)
		})
	}
}

func TestInit_Exits128PlusNWhenTheMainCommandDiesOfSignalN(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGUSR1, syscall.SIGSEGV} {
		t.Run(sig.String(), func(t *testing.T) {
			p := startInit(t, "--", "sh", "-c", fmt.Sprintf("kill -%d $$", int(sig)))
			got, _ := p.wait(10 * time.Second)
			assert.Equal(t, 128+int(sig), got)
		})
	}
}

func TestInit_Exits127WhenTheMainCommandDoesNotExist(t *testing.T) {
	p := startInit(t, "--", "no-such-command-here")
	got, _ := p.wait(10 * time.Second)
	assert.Equal(t, 127, got)
	assert.Contains(t, p.out.String(), "no-such-command-here: command not found")
}

func TestInit_Exits126WhenTheMainCommandIsNotExecutable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "not-executable")
	require.NoError(t, os.WriteFile(path, []byte("#!/bin/sh\n"), 0o644))
	p := startInit(t, "--", path)
	got, _ := p.wait(10 * time.Second)
	assert.Equal(t, 126, got)
	assert.Contains(t, p.out.String(), path+": not an executable file")
}

// trapScript records the first signal it gets in $dir/got and exits 7; it
// creates $dir/ready once its trap is set.
func trapScript(t *testing.T, dir string, sigs ...string) string {
	var traps strings.Builder
	for _, s := range sigs {
		fmt.Fprintf(&traps, "trap 'echo %s > %s/got; exit 7' %s\n", s, dir, s)
	}
	return script(t, dir, "trap.sh", traps.String()+
		"touch "+dir+"/ready\nwhile :; do sleep 1 & wait $!; done\n")
}

func TestInit_ForwardsSignalsToTheMainCommand(t *testing.T) {
	for _, name := range []string{"TERM", "INT", "HUP", "QUIT", "USR1", "USR2", "WINCH"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			p := startInit(t, "--", trapScript(t, dir, name))
			waitFile(t, dir+"/ready", 10*time.Second)
			p.signal(unix.SignalNum("SIG" + name))
			code, _ := p.wait(10 * time.Second)
			assert.Equal(t, 7, code, "the trap's exit code")
			got, err := os.ReadFile(dir + "/got")
			require.NoError(t, err)
			assert.Equal(t, name+"\n", string(got))
		})
	}
}

func TestInit_GroupForwardingEndsAShellWaitingForAChildOnSIGINT(t *testing.T) {
	dir := t.TempDir()
	p := startInit(t, "--grace-period=30s", "--", "bash", "-c", "touch "+dir+"/ready; sleep 20; true")
	waitFile(t, dir+"/ready", 10*time.Second)
	time.Sleep(50 * time.Millisecond) // let bash start sleep
	p.signal(syscall.SIGINT)
	code, took := p.wait(10 * time.Second)
	assert.Equal(t, 130, code)
	assert.Less(t, took, 15*time.Second, "bash must not wait for its sleep to end")
}

func TestInit_ProcessForwardingSignalsOnlyTheMainProcess(t *testing.T) {
	dir := t.TempDir()
	// The child shell records USR1 if it gets it; the main shell exits on it.
	child := script(t, dir, "child.sh", "trap 'echo child >> "+dir+"/got' USR1\ntouch "+dir+"/child-ready\nwhile :; do sleep 1 & wait $!; done\n")
	main := script(t, dir, "main.sh", child+" &\ntrap 'echo main >> "+dir+"/got; exit 5' USR1\nwhile :; do sleep 1 & wait $!; done\n")
	p := startInit(t, "--forward-to=process", "--grace-period=5s", "--", main)
	waitFile(t, dir+"/child-ready", 10*time.Second)
	p.signal(syscall.SIGUSR1)
	code, _ := p.wait(10 * time.Second)
	assert.Equal(t, 5, code)
	got, err := os.ReadFile(dir + "/got")
	require.NoError(t, err)
	assert.Equal(t, "main\n", string(got), "the child in the same process group must not get the signal")
}

// No program can catch a signal before it has installed a handler, and the
// kernel discards a signal sent to a PID 1 that has none; for a Go program
// that window is the runtime's start (a few ms here, see `make bench`). What
// boxinit promises is that it loses none once it exists as a signal
// receiver: catchesSignals tells that moment from /proc, by SIGTTOU, which
// the Go runtime only catches once boxinit's own handlers are in.
func TestInit_NeverLosesASIGTERMSentAsSoonAsItCanBeCaught(t *testing.T) {
	testutil.RequireRoot(t)
	const runs = 100
	for i := 0; i < runs; i++ {
		p := startInit(t, "--", "sleep", "60")
		eventually(t, 10*time.Second, "boxinit catches signals", func() bool {
			return catchesSignal(p.pid(), unix.SIGTTOU)
		})
		p.signal(syscall.SIGTERM)
		code, _ := p.wait(10 * time.Second)
		require.Equal(t, 128+int(syscall.SIGTERM), code, "run %d of %d", i+1, runs)
	}
}

// catchesSignal reads the SigCgt mask of /proc/PID/status.
func catchesSignal(pid int, sig syscall.Signal) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if hex, ok := strings.CutPrefix(line, "SigCgt:"); ok {
			mask, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
			return err == nil && mask&(1<<(uint(sig)-1)) != 0
		}
	}
	return false
}

func TestInit_RewriteTERMToQUITDeliversQUIT(t *testing.T) {
	dir := t.TempDir()
	p := startInit(t, "--rewrite", "TERM:QUIT", "--", trapScript(t, dir, "TERM", "QUIT"))
	waitFile(t, dir+"/ready", 10*time.Second)
	p.signal(syscall.SIGTERM)
	code, _ := p.wait(10 * time.Second)
	assert.Equal(t, 7, code)
	got, err := os.ReadFile(dir + "/got")
	require.NoError(t, err)
	assert.Equal(t, "QUIT\n", string(got))
}

func TestInit_RewriteToZeroDropsTheSignal(t *testing.T) {
	dir := t.TempDir()
	p := startInit(t, "--rewrite", "USR1:0", "--", trapScript(t, dir, "USR1", "USR2"))
	waitFile(t, dir+"/ready", 10*time.Second)
	p.signal(syscall.SIGUSR1)
	time.Sleep(200 * time.Millisecond)
	p.signal(syscall.SIGUSR2)
	code, _ := p.wait(10 * time.Second)
	assert.Equal(t, 7, code)
	got, err := os.ReadFile(dir + "/got")
	require.NoError(t, err)
	assert.Equal(t, "USR2\n", string(got), "USR1 must have been dropped")
}

func TestInit_RewriteCanForwardTheSignalsItOtherwiseKeeps(t *testing.T) {
	for _, name := range []string{"TTIN", "TTOU", "PIPE"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			p := startInit(t, "--rewrite", name+":TERM", "--", trapScript(t, dir, "TERM"))
			waitFile(t, dir+"/ready", 10*time.Second)
			p.signal(unix.SignalNum("SIG" + name))
			code, _ := p.wait(10 * time.Second)
			assert.Equal(t, 7, code, "the TERM trap's exit code")
			got, err := os.ReadFile(dir + "/got")
			require.NoError(t, err)
			assert.Equal(t, "TERM\n", string(got))
		})
	}
}

func TestInit_HUPAndINTIgnoredAtStartStayIgnoredInTheMainCommand(t *testing.T) {
	testutil.RequireRoot(t)
	dir := t.TempDir()
	// As `nohup boxinit` (HUP) or `boxinit … &` in a script (INT) start it.
	cmd := exec.Command("sh", "-c", `trap '' HUP INT; exec unshare --mount-proc "$0" "$@"`, boxinitBin,
		"--cron=", "--socket=", "--services=false", "--ready-file="+dir+"/ready", "--", "sh", "-c", "grep SigIgn /proc/self/status > "+dir+"/ign")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	b, err := os.ReadFile(dir + "/ign")
	require.NoError(t, err)
	mask, err := strconv.ParseUint(strings.TrimSpace(strings.TrimPrefix(string(b), "SigIgn:")), 16, 64)
	require.NoError(t, err)
	assert.NotZero(t, mask&(1<<(uint(unix.SIGHUP)-1)), "SIGHUP ignored in the main command: %s", b)
	assert.NotZero(t, mask&(1<<(uint(unix.SIGINT)-1)), "SIGINT ignored in the main command: %s", b)
	assert.Zero(t, mask&(1<<(uint(unix.SIGTERM)-1)), "SIGTERM was not ignored and is not: %s", b)
}

func TestInit_RunsTheMainCommandWhereItWasStartedAndHoldsOnlySlashItself(t *testing.T) {
	testutil.RequireRoot(t)
	dir := t.TempDir()
	cmd := exec.Command("unshare", "--mount-proc", boxinitBin, "--cron=", "--socket=", "--services=false", "--ready-file="+filepath.Join(dir, "ready"),
		"--", "sh", "-c", "pwd > pwd; readlink /proc/1/cwd > init-cwd")
	cmd.Dir = dir // the image's WORKDIR
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	pwd, err := os.ReadFile(filepath.Join(dir, "pwd"))
	require.NoError(t, err)
	assert.Equal(t, dir+"\n", string(pwd))
	initCwd, err := os.ReadFile(filepath.Join(dir, "init-cwd"))
	require.NoError(t, err)
	assert.Equal(t, "/\n", string(initCwd))
}

func TestInit_GivesAnInteractiveShellTheTerminalSoJobControlWorks(t *testing.T) {
	testutil.RequireRoot(t)
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("requires script(1) from util-linux")
	}
	// script(1) gives the command a pseudo-terminal as its controlling
	// terminal, as `docker run -it` does; boxinit is PID 1 inside unshare.
	inner := "unshare --pid --fork --mount-proc " + boxinitBin + " --cron= --socket= --services=false --ready-file=" + t.TempDir() + "/ready" +
		` -- bash -i -c 'sleep 0.2 & wait %1; echo JOB-$?-DONE'`
	cmd := exec.Command("timeout", "20", "script", "-qec", inner, "/dev/null")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "bash -i stopped or hung on the terminal:\n%s", out)
	assert.Contains(t, string(out), "JOB-0-DONE")
}

func TestInit_KillsAMainCommandThatIgnoresSIGTERMAfterTheGracePeriod(t *testing.T) {
	dir := t.TempDir()
	const grace = 1 * time.Second
	p := startInit(t, "--grace-period="+grace.String(), "--",
		"sh", "-c", "trap '' TERM; touch "+dir+"/ready; while :; do sleep 0.1; done")
	waitFile(t, dir+"/ready", 10*time.Second)
	sent := time.Now()
	p.signal(syscall.SIGTERM)
	code, _ := p.wait(10 * time.Second)
	took := p.exited.Sub(sent)
	assert.Equal(t, 137, code)
	assert.GreaterOrEqual(t, took, grace, "SIGKILL must wait for the grace period")
	assert.Less(t, took, grace+3*time.Second, "boxinit must exit soon after the grace period")
}

func TestInit_LeftoverProcessesGetSIGTERMFirstAndSIGKILLOnlyAfterTheGracePeriod(t *testing.T) {
	dir := t.TempDir()
	const grace = 1500 * time.Millisecond
	// A daemonised grandchild (own session) that logs SIGTERM and keeps
	// running; the main command exits 3 as soon as the daemon is up.
	daemon := script(t, dir, "daemon.sh", "trap 'echo TERM >> "+dir+"/daemon' TERM\n"+
		"touch "+dir+"/daemon-ready\nwhile :; do sleep 0.05; echo alive >> "+dir+"/daemon; done\n")
	p := startInit(t, "--grace-period="+grace.String(), "--",
		"sh", "-c", "setsid "+daemon+" & while [ ! -e "+dir+"/daemon-ready ]; do sleep 0.01; done; exit 3")
	code, _ := p.wait(10 * time.Second)
	assert.Equal(t, 3, code, "the main command's code, not the daemon's")

	log, err := os.ReadFile(dir + "/daemon")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(log)), "\n")
	termAt := -1
	for i, l := range lines {
		if l == "TERM" {
			termAt = i
			break
		}
	}
	require.GreaterOrEqual(t, termAt, 0, "the daemon never got SIGTERM:\n%s", log)
	// After SIGTERM the daemon went on for most of the grace period (one
	// line per 50 ms) before the SIGKILL.
	assert.Greater(t, len(lines)-termAt, 10, "the daemon was killed long before the grace period ended")
}

func TestInit_AMainCommandIgnoringSIGTERMDoesNotEatItsSiblingsCleanupTime(t *testing.T) {
	dir := t.TempDir()
	const grace = 2 * time.Second
	// A daemon (own session) needs 0.5 s to clean up after SIGTERM; the main
	// command ignores SIGTERM and is only ended by the SIGKILL.
	daemon := script(t, dir, "daemon.sh", "trap 'echo TERM >> "+dir+"/daemon; sleep 0.5; echo CLEAN >> "+dir+"/daemon; exit 0' TERM\n"+
		"touch "+dir+"/daemon-ready\nwhile :; do sleep 0.05; done\n")
	p := startInit(t, "--grace-period="+grace.String(), "--",
		"sh", "-c", "setsid "+daemon+" & trap '' TERM; while [ ! -e "+dir+"/daemon-ready ]; do sleep 0.01; done; touch "+dir+"/ready; while :; do sleep 0.1; done")
	waitFile(t, dir+"/ready", 10*time.Second)
	sent := time.Now()
	p.signal(syscall.SIGTERM)
	eventually(t, grace, "the daemon got SIGTERM and cleaned up within the grace period", func() bool {
		b, _ := os.ReadFile(dir + "/daemon")
		return string(b) == "TERM\nCLEAN\n"
	})
	code, _ := p.wait(10 * time.Second)
	assert.Equal(t, 137, code, "the main command ignored SIGTERM: SIGKILL at the end of the grace period")
	assert.GreaterOrEqual(t, p.exited.Sub(sent), grace)
}

func TestInit_RewriteTERMToQUITSendsTheMainCommandOnlyQUIT(t *testing.T) {
	dir := t.TempDir()
	// The main command takes 0.3 s for its graceful stop on QUIT; a SIGTERM
	// meanwhile would turn it into a fast one.
	main := script(t, dir, "main.sh", "trap 'echo TERM >> "+dir+"/got' TERM\n"+
		"trap 'echo QUIT >> "+dir+"/got; sleep 0.3; exit 7' QUIT\n"+
		"touch "+dir+"/ready\nwhile :; do sleep 1 & wait $!; done\n")
	p := startInit(t, "--rewrite", "TERM:QUIT", "--", main)
	waitFile(t, dir+"/ready", 10*time.Second)
	p.signal(syscall.SIGTERM)
	code, _ := p.wait(10 * time.Second)
	assert.Equal(t, 7, code)
	got, err := os.ReadFile(dir + "/got")
	require.NoError(t, err)
	assert.Equal(t, "QUIT\n", string(got))
}

func TestInit_StopsAtOnceWhenLeftoverProcessesObeySIGTERM(t *testing.T) {
	p := startInit(t, "--grace-period=20s", "--", "sh", "-c", "setsid sleep 60 & sleep 0.1; exit 0")
	code, took := p.wait(15 * time.Second)
	assert.Equal(t, 0, code)
	assert.Less(t, took, 10*time.Second, "the sleep dies on SIGTERM: no need to wait for the grace period")
}

func TestInit_ReapsOrphansThatOutliveTheirParent(t *testing.T) {
	dir := t.TempDir()
	p := startInit(t, "--", "sh", "-c",
		"sh -c 'for i in $(seq 100); do sleep 0.2 & done'; touch "+dir+"/spawned; sleep 60")
	waitFile(t, dir+"/spawned", 10*time.Second)
	eventually(t, 10*time.Second, "the 100 orphaned sleeps are reaped", func() bool {
		return len(testutil.Children(p.pid())) == 1 // only the main shell is left
	})
	p.signal(syscall.SIGTERM)
	code, _ := p.wait(10 * time.Second)
	assert.Equal(t, 143, code)
	assert.GreaterOrEqual(t, orphansReaped(t, p.out.String()), 100)
}

func TestInit_LeavesNoZombieAfterAStormOf10000Orphans(t *testing.T) {
	testutil.RequireRoot(t)
	dir := t.TempDir()
	storm := strings.Join(testutil.Prog(t, "orphans", "10000"), " ")
	p := startInit(t, "--", "sh", "-c", storm+" >/dev/null && touch "+dir+"/stormed; sleep 60")
	waitFile(t, dir+"/stormed", 60*time.Second)
	eventually(t, 20*time.Second, "10,000 orphans are reaped", func() bool {
		return len(testutil.Children(p.pid())) == 1
	})
	p.signal(syscall.SIGTERM)
	code, _ := p.wait(10 * time.Second)
	assert.Equal(t, 143, code)
	assert.GreaterOrEqual(t, orphansReaped(t, p.out.String()), 10000)
}

func TestInit_IdlesWithoutAMainCommandAndExits0OnSIGTERM(t *testing.T) {
	p := startInit(t)
	eventually(t, 10*time.Second, "boxinit says it idles", func() bool {
		return strings.Contains(p.out.String(), "no main command")
	})
	time.Sleep(100 * time.Millisecond)
	select {
	case <-p.done:
		t.Fatalf("boxinit exited while idle:\n%s", p.out.String())
	default:
	}
	p.signal(syscall.SIGTERM)
	code, _ := p.wait(10 * time.Second)
	assert.Equal(t, 0, code)
}

func TestInit_AsSubreaperSignalsOnlyItsOwnDescendants(t *testing.T) {
	testutil.RequireRoot(t)
	dir := t.TempDir()
	// PID 1 of the namespace is a shell with a sibling sleep; boxinit runs
	// beside it as PID 3, a subreaper. Its main command leaves an orphan in
	// a session of its own (out of reach of group forwarding), checks that
	// boxinit adopted it, then asks boxinit to stop.
	main := script(t, dir, "main.sh", `sh -c 'setsid sleep 60 & echo $! > `+dir+`/orphan'
sleep 0.2
echo "orphan-parent=$(cut -d' ' -f4 /proc/$(cat `+dir+`/orphan)/stat) boxinit=$PPID"
kill -TERM $PPID
sleep 60
`)
	outer := `sleep 60 & sibling=$!
` + boxinitBin + ` --cron= --socket= --services=false --ready-file=` + dir + `/ready --grace-period=2s -- ` + main + `
echo "code=$?"
kill -0 $sibling && echo sibling=alive
kill -0 $(cat ` + dir + `/orphan) 2>/dev/null || echo orphan=gone
`
	out, err := exec.Command("timeout", "30", "unshare", "--pid", "--fork", "--mount-proc", "sh", "-c", outer).CombinedOutput()
	require.NoError(t, err, "%s", out)
	s := string(out)
	assert.Contains(t, s, "became a child subreaper")
	assert.Regexp(t, `orphan-parent=(\d+) boxinit=(\d+)`, s)
	var op, bp int
	_, _ = fmt.Sscanf(s[strings.Index(s, "orphan-parent="):], "orphan-parent=%d boxinit=%d", &op, &bp)
	assert.Equal(t, bp, op, "the orphan was reparented to boxinit")
	assert.Contains(t, s, "code=143")
	assert.Contains(t, s, "sibling=alive")
	assert.Contains(t, s, "orphan=gone")
}

// orphansReaped reads the count from boxinit's last log line.
func orphansReaped(t *testing.T, log string) int {
	t.Helper()
	m := regexp.MustCompile(`orphans_reaped=(\d+)`).FindAllStringSubmatch(log, -1)
	require.NotEmpty(t, m, "no orphans_reaped in the log:\n%s", log)
	n, _ := strconv.Atoi(m[len(m)-1][1])
	return n
}
