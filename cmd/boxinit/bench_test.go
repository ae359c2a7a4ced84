package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/boxinit/boxinit/internal/testutil"
)

// Side-by-side benchmarks: boxinit and tini (Debian's package, `make deps`)
// as PID 1 of a new PID namespace, alternating in one run so that both see
// the same machine load. Run with `make bench` (root).

type initUnderTest struct {
	name string
	argv []string // the init and its flags, before "--"
}

func inits(b *testing.B) []initUnderTest {
	testutil.RequireRoot(b)
	out := []initUnderTest{{"boxinit", []string{boxinitBin, "--ready-file=" + filepath.Join(b.TempDir(), "ready")}}}
	if tini, err := exec.LookPath("tini"); err == nil {
		out = append(out, initUnderTest{"tini", []string{tini}})
	} else {
		b.Log("tini not found (apt-get install tini): boxinit measured alone")
	}
	return out
}

func (u initUnderTest) command(main ...string) *exec.Cmd {
	cmd := exec.Command(u.argv[0], append(append(u.argv[1:], "--"), main...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
	return cmd
}

// BenchmarkReap10000Orphans: the main command forks 10,000 children that
// exit at once, waits until they are all zombies, prints CLOCK_MONOTONIC
// and exits, so that the 10,001 zombies land on PID 1 together. Measured:
// from that moment until PID 1 has reaped them all and exited.
func BenchmarkReap10000Orphans(b *testing.B) {
	us := inits(b)
	total := make([]time.Duration, len(us))
	for i := 0; i < b.N; i++ {
		for j, u := range us {
			var out bytes.Buffer
			cmd := u.command(testutil.Prog(b, "orphans", "10000")...)
			cmd.Stdout = &out
			if err := cmd.Run(); err != nil {
				b.Fatalf("%s: %v", u.name, err)
			}
			end := testutil.Monotonic()
			landed, err := strconv.ParseInt(strings.TrimSpace(out.String()), 10, 64)
			if err != nil {
				b.Fatalf("%s: storm printed %q", u.name, out.String())
			}
			total[j] += end - time.Duration(landed)
		}
	}
	for j, u := range us {
		b.ReportMetric(float64(total[j].Microseconds())/1000/float64(b.N), u.name+"-ms")
	}
	if len(us) == 2 {
		b.ReportMetric(float64(total[0])/float64(total[1]), "boxinit/tini")
	}
}

// BenchmarkIdleMemory reports the peak RSS (VmHWM) of PID 1 idling with a
// `sleep` main command.
func BenchmarkIdleMemory(b *testing.B) {
	for _, u := range inits(b) {
		var hwm, rss int
		for i := 0; i < b.N; i++ {
			cmd := u.command("sleep", "60")
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			time.Sleep(time.Second) // booted and idle
			h, r := vmKiB(cmd.Process.Pid, "VmHWM:"), vmKiB(cmd.Process.Pid, "VmRSS:")
			hwm, rss = max(hwm, h), max(rss, r)
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		b.ReportMetric(float64(hwm), u.name+"-VmHWM-KiB")
		b.ReportMetric(float64(rss), u.name+"-VmRSS-KiB")
	}
}

func vmKiB(pid int, field string) int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return 0
}

// BenchmarkEarlySIGTERM sends SIGTERM to PID 1 a fixed delay after exec
// returned and counts the signals that got no response: lost (the kernel
// discards a signal sent to a PID 1 without a handler, so the init runs
// on) or the wrong exit code (a Go program exits 2 on a SIGTERM that
// arrives before its handlers). No init can catch a signal before it has
// installed a handler; this measures how long each one's window is.
func BenchmarkEarlySIGTERM(b *testing.B) {
	us := inits(b)
	delays := []time.Duration{0, time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond, 8 * time.Millisecond}
	const runs = 20
	for i := 0; i < b.N; i++ {
		for _, d := range delays {
			for _, u := range us {
				missed := 0
				for r := 0; r < runs; r++ {
					if !earlyTERMAnswered(b, u, d) {
						missed++
					}
				}
				b.ReportMetric(float64(missed)/runs*100, fmt.Sprintf("%s-missed%%-at-%s", u.name, d))
			}
		}
	}
}

func earlyTERMAnswered(b *testing.B, u initUnderTest, delay time.Duration) bool {
	cmd := u.command("sleep", "60")
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	time.Sleep(delay)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
		return cmd.ProcessState.ExitCode() == 143 || cmd.ProcessState.Sys().(syscall.WaitStatus).Signal() == syscall.SIGTERM
	case <-time.After(time.Second):
		_ = cmd.Process.Kill()
		<-done
		return false
	}
}
