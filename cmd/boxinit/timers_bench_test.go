package main

import (
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

// BenchmarkFootprintIdleTimers: PID 1 with the services on and 10 calendar
// timers armed (none elapses during the measurement), idle for
// BOXINIT_BENCH_IDLE_SECONDS (30): its CPU ticks (utime+stime), its CPU time
// and the times its threads were scheduled (wake-ups), both from
// /proc/PID/task/*/schedstat. Issue 19's goal: 0 ticks, also with timers
// loaded; the timer loop sleeps until the next elapse (no polling).
func BenchmarkFootprintIdleTimers(b *testing.B) {
	testutil.RequireRoot(b)
	idle := 30
	if n, err := strconv.Atoi(os.Getenv("BOXINIT_BENCH_IDLE_SECONDS")); err == nil && n > 0 {
		idle = n
	}
	for i := 0; i < b.N; i++ {
		root := benchRoot(b, false, "")
		dir := filepath.Join(root, "etc/systemd/system")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		for j := 1; j <= 10; j++ {
			name := fmt.Sprintf("t%d", j)
			files := map[string]string{
				name + ".timer":   fmt.Sprintf("[Timer]\nOnCalendar=*-*-* 03:%02d:00\n\n[Install]\nWantedBy=timers.target\n", j),
				name + ".service": "[Service]\nType=oneshot\nExecStart=/bin/true\n",
			}
			for f, body := range files {
				if err := os.WriteFile(filepath.Join(dir, f), []byte(body), 0o644); err != nil {
					b.Fatal(err)
				}
			}
			wantUnits(b, root, "timers.target", name+".timer")
		}
		// --root is a tree made here: services on are safe.
		sock := filepath.Join(b.TempDir(), "boxinit.sock")
		box := exec.Command(benchBin(), "--root="+root, "--services=true", "--cron=", "--socket="+sock, "--ready-file=/ready")
		box.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
		if err := box.Start(); err != nil {
			b.Fatal(err)
		}
		defer func() { _ = box.Process.Kill(); _ = box.Wait() }()
		waitReady(b, root+"/ready")
		time.Sleep(2 * time.Second)
		if out, err := exec.Command(benchBin(), "systemctl", "--socket="+sock, "list-timers").CombinedOutput(); err != nil || !strings.Contains(string(out), "10 timers listed.") {
			b.Fatalf("the 10 timers are not armed: %v\n%s", err, out)
		}
		pid := box.Process.Pid
		ticks, ns, runs := cpuTicks(pid), schedNs(pid), schedRuns(pid)
		time.Sleep(time.Duration(idle) * time.Second)
		b.ReportMetric(float64(cpuTicks(pid)-ticks), fmt.Sprintf("boxinit-ticks/%ds", idle))
		b.ReportMetric(float64(schedNs(pid)-ns)/1000, fmt.Sprintf("boxinit-cpu-µs/%ds", idle))
		b.ReportMetric(float64(schedRuns(pid)-runs), fmt.Sprintf("boxinit-wakeups/%ds", idle))
	}
}
