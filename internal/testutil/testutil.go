// Package testutil holds what the tests of several packages share: helper
// programs played by the test binary itself (as Go's os/exec tests do), and
// a scan of /proc for the children of a process.
package testutil

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/boxinit/boxinit/internal/procfs"
)

const progArg = "boxinit-testprog"

// RunProgIfAsked plays a helper program and exits when the test binary was
// started as one (see [Prog]); call it first in TestMain.
func RunProgIfAsked() {
	if len(os.Args) > 2 && os.Args[1] == progArg {
		os.Exit(runProg(os.Args[2:]))
	}
}

// Prog returns the argv that runs helper program name from this test binary.
//
//	spawnfloor OUT N   N times: sleep to the next second, run
//	            sh -c 'date +%s.%N >> OUT' (the floor of a cron's latency)
//	orphans N   fork N children that exit at once, wait until they are all
//	            zombies, print CLOCK_MONOTONIC in ns and exit, so that the N
//	            zombies land on the reaper at the same moment.
func Prog(t testing.TB, name string, args ...string) []string {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{exe, progArg, name}, args...)
}

func runProg(args []string) int {
	switch args[0] {
	case "orphans":
		n, err := strconv.Atoi(args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, "orphans N:", err)
			return 2
		}
		if err := forkZombies(n); err != nil {
			fmt.Fprintln(os.Stderr, "orphans:", err)
			return 1
		}
		fmt.Println(Monotonic().Nanoseconds())
		return 0
	case "spawnfloor":
		n, _ := strconv.Atoi(args[2])
		return spawnFloor(args[1], n)
	}
	fmt.Fprintln(os.Stderr, "unknown helper program", args[0])
	return 2
}

// spawnFloor is the least a scheduler can do: sleep to the next second,
// start `sh -c 'date +%s.%N >> out'`, n times.
func spawnFloor(out string, n int) int {
	for i := 0; i < n; i++ {
		now := time.Now()
		time.Sleep(now.Truncate(time.Second).Add(time.Second).Sub(now))
		if err := exec.Command("sh", "-c", "date +%s.%N >> "+out).Run(); err != nil {
			fmt.Fprintln(os.Stderr, "spawnfloor:", err)
			return 1
		}
	}
	return 0
}

// forkZombies forks n children that exit at once with a raw clone (no exec:
// a fork costs microseconds, an exec a millisecond) and waits, without
// reaping, until they have all exited.
func forkZombies(n int) error {
	runtime.LockOSThread()
	syscall.ForkLock.Lock()
	pids := make([]int, 0, n)
	for i := 0; i < n; i++ {
		pid, _, errno := syscall.RawSyscall6(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
		if errno != 0 {
			syscall.ForkLock.Unlock()
			return fmt.Errorf("clone after %d children: %w", i, errno)
		}
		if pid == 0 { // child
			for {
				syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 0, 0, 0)
			}
		}
		pids = append(pids, int(pid))
	}
	syscall.ForkLock.Unlock()
	for _, pid := range pids {
		var info unix.Siginfo
		if err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil); err != nil {
			return fmt.Errorf("waitid %d: %w", pid, err)
		}
	}
	return nil
}

// Monotonic reads CLOCK_MONOTONIC, which all processes of the machine share.
func Monotonic() time.Duration {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return time.Duration(ts.Nano())
}

// ProcState returns the state letter of pid in /proc (R, S, Z, ...), or 0
// when there is no such process.
func ProcState(pid int) byte {
	st, err := procfs.ReadStat("/proc", pid)
	if err != nil {
		return 0
	}
	return st.State
}

// Children lists the children of ppid as pid → state letter.
func Children(ppid int) map[int]byte {
	out := map[int]byte{}
	procs, _ := procfs.List("/proc")
	for _, p := range procs {
		if p.PPID == ppid {
			out[p.PID] = p.State
		}
	}
	return out
}

// RequireRoot skips t unless it runs as root (CI does).
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("requires root")
	}
}

// SyncBuffer collects output written from several goroutines while a test
// reads it.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// OpenToOthers makes dir and its parents below the temporary directory
// 0755, so that a command run as another user (uid 1000) can reach it:
// t.TempDir makes them 0700. The temporary directory itself is left as it
// is (it used to be made 0755 too: /tmp lost its 1777, and apt could no
// longer write its temporary files on the machine that ran the tests).
func OpenToOthers(t testing.TB, dir string) {
	t.Helper()
	tmp := filepath.Clean(os.TempDir())
	dir = filepath.Clean(dir)
	if !strings.HasPrefix(dir, tmp+"/") {
		t.Fatalf("OpenToOthers: %s is not under the temporary directory %s", dir, tmp)
	}
	for ; dir != tmp; dir = filepath.Dir(dir) {
		if fi, err := os.Stat(dir); err == nil && fi.Mode()&os.ModeSticky != 0 {
			return // a shared temporary directory (TMPDIR=/var/tmp/...)
		}
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}
