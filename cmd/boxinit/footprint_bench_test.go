package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/boxinit/boxinit/internal/testutil"
)

// The figures of issue 19 (PID-1 footprint), each boxinit beside its anchor
// in one benchmark line. `make bench` runs them on the release binary
// (BOXINIT_BENCH_BIN=bin/boxinit) and bench/table.awk prints them as one
// table. Every PID 1 runs in a PID namespace of its own, against a copy of
// testdata/roots/debian (--root), never against the machine's /etc.

// benchBin is the boxinit binary measured: the release build that `make
// bench` names, or the test build.
func benchBin() string {
	if p := os.Getenv("BOXINIT_BENCH_BIN"); p != "" {
		return p
	}
	return boxinitBin
}

// benchRoot copies testdata/roots/debian to a temporary root. With sshd,
// the root has a /usr/sbin/sshd (empty: boot only looks for it) so that
// boot makes the three host keys; crontab, when not empty, is its
// /etc/crontab.
func benchRoot(b *testing.B, sshd bool, crontab string) string {
	root := filepath.Join(b.TempDir(), "root")
	if out, err := exec.Command("cp", "-a", "../../testdata/roots/debian", root).CombinedOutput(); err != nil {
		b.Fatalf("copy the root: %v: %s", err, out)
	}
	for _, d := range []string{"/usr/sbin", "/etc/ssh"} {
		if err := os.MkdirAll(root+d, 0o755); err != nil {
			b.Fatal(err)
		}
	}
	if sshd {
		if err := os.WriteFile(root+"/usr/sbin/sshd", nil, 0o755); err != nil {
			b.Fatal(err)
		}
	}
	if crontab != "" {
		if err := os.WriteFile(root+"/etc/crontab", []byte(crontab), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return root
}

// staticGo builds the anchor of the start-up figures: a static Go program
// that prints one line, built as boxinit is (-trimpath -s -w).
func staticGo(b *testing.B) string {
	dir := b.TempDir()
	src := "package main\n\nimport \"os\"\n\nfunc main() { os.Stdout.WriteString(\"minimal dev\\n\") }\n"
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module minimal\n\ngo 1.22\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", "minimal", ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build the minimal Go program: %v: %s", err, out)
	}
	return filepath.Join(dir, "minimal")
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func percentile(xs []float64, p int) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

// BenchmarkFootprintVersion: `boxinit version` from fork to exit (as the
// parent sees it) beside a minimal static Go program; 200 runs each,
// alternating; medians. The max RSS comes from GNU time (/usr/bin/time
// -f %M): the rusage of a child started from this process would report
// this process's own size, which vfork and exec carry over.
func BenchmarkFootprintVersion(b *testing.B) {
	contenders := []struct{ name, bin string }{{"boxinit", benchBin()}, {"gostatic", staticGo(b)}}
	const runs = 200
	ms := make([][]float64, len(contenders))
	rss := make([][]float64, len(contenders))
	_, errTime := os.Stat("/usr/bin/time")
	if errTime != nil {
		b.Log("no /usr/bin/time (apt-get install time): max RSS not measured")
	}
	for i := 0; i < b.N; i++ {
		for r := 0; r < runs; r++ {
			for j, c := range contenders {
				cmd := exec.Command(c.bin, "version")
				start := time.Now()
				if err := cmd.Run(); err != nil {
					b.Fatalf("%s version: %v", c.name, err)
				}
				ms[j] = append(ms[j], float64(time.Since(start).Microseconds())/1000)
				if errTime == nil && r%10 == 0 {
					out, err := exec.Command("/usr/bin/time", "-f", "%M", c.bin, "version").CombinedOutput()
					lines := strings.Fields(string(out))
					if err != nil || len(lines) == 0 {
						b.Fatalf("time %s version: %v: %s", c.name, err, out)
					}
					kib, _ := strconv.Atoi(lines[len(lines)-1])
					rss[j] = append(rss[j], float64(kib))
				}
			}
		}
	}
	for j, c := range contenders {
		b.ReportMetric(median(ms[j]), c.name+"-ms")
		if len(rss[j]) > 0 {
			b.ReportMetric(median(rss[j]), c.name+"-maxrss-KiB")
		}
	}
}

// BenchmarkFootprintSignalWindow: how long after exec returned PID 1
// holds SIGTERM, read by polling /proc/PID/status: boxinit catches it
// (SigCgt); tini blocks it (SigBlk) before it starts its child and then
// waits in sigtimedwait, which unblocks it for the wait, so for tini a
// child counts too. The polling costs a few µs a read. Median and 95th
// percentile of 50 starts.
func BenchmarkFootprintSignalWindow(b *testing.B) {
	const runs = 50
	for _, u := range inits(b) {
		var ms []float64
		for i := 0; i < b.N*runs; i++ {
			cmd := u.command("sleep", "60")
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			for !holdsSignal(cmd.Process.Pid, syscall.SIGTERM) && time.Since(start) < time.Second {
			}
			ms = append(ms, float64(time.Since(start).Microseconds())/1000)
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		b.ReportMetric(median(ms), u.name+"-handler-ms")
		b.ReportMetric(percentile(ms, 95), u.name+"-handler-p95-ms")
	}
}

// holdsSignal reports whether pid catches or blocks sig, or has a child.
func holdsSignal(pid int, sig syscall.Signal) bool {
	if n, _ := children(pid); n > 0 {
		return true
	}
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(data), "\n") {
		for _, field := range []string{"SigCgt:", "SigBlk:"} {
			if v, ok := strings.CutPrefix(line, field); ok {
				mask, _ := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
				if mask&(1<<(sig-1)) != 0 {
					return true
				}
			}
		}
	}
	return false
}

// memFigures are PID 1's memory and threads from /proc/PID/status.
func memFigures(b *testing.B, name string, pid int) {
	for _, f := range []string{"VmHWM", "VmRSS", "RssAnon", "RssFile"} {
		b.ReportMetric(float64(vmKiB(pid, f+":")), name+"-"+f+"-KiB")
	}
	b.ReportMetric(float64(vmKiB(pid, "Threads:")), name+"-threads")
}

// waitReady waits up to 30 s for path to exist (boxinit's ready file).
func waitReady(b *testing.B, path string) {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
	}
	b.Fatalf("%s did not appear within 30 s", path)
}

// BenchmarkFootprintIdle: PID 1 after a boot that made the three host keys,
// with 50 cron jobs loaded that do not run during the measurement, and a
// `sleep` main command: memory and threads, and its CPU ticks over
// BOXINIT_BENCH_IDLE_SECONDS (30). Beside it, started at the same time:
// tini with the same main command, and supercronic (BOXINIT_BENCH_SUPERCRONIC,
// built by bench/supercronic.sh) with the same 50 jobs, alone.
func BenchmarkFootprintIdle(b *testing.B) {
	testutil.RequireRoot(b)
	idle := 30
	if n, err := strconv.Atoi(os.Getenv("BOXINIT_BENCH_IDLE_SECONDS")); err == nil && n > 0 {
		idle = n
	}
	var ours, theirs strings.Builder
	for i := 0; i < 50; i++ {
		fmt.Fprintf(&ours, "%d 3 1 1 * root true job%d\n", i, i)
		fmt.Fprintf(&theirs, "%d 3 1 1 * true job%d\n", i, i)
	}
	for i := 0; i < b.N; i++ {
		root := benchRoot(b, true, ours.String())
		box := exec.Command(benchBin(), "--root="+root, "--cron=/etc/crontab", "--socket=", "--ready-file=/ready", "--", "sleep", "3600")
		box.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
		procs := []struct {
			name string
			cmd  *exec.Cmd
		}{{"boxinit", box}}
		if tini, err := exec.LookPath("tini"); err == nil {
			cmd := exec.Command(tini, "--", "sleep", "3600")
			cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
			procs = append(procs, struct {
				name string
				cmd  *exec.Cmd
			}{"tini", cmd})
		}
		if sc := supercronic(); sc != "" {
			crontab := filepath.Join(b.TempDir(), "crontab")
			if err := os.WriteFile(crontab, []byte(theirs.String()), 0o644); err != nil {
				b.Fatal(err)
			}
			procs = append(procs, struct {
				name string
				cmd  *exec.Cmd
			}{"supercronic", exec.Command(sc, "-quiet", crontab)})
		} else if i == 0 {
			b.Log("supercronic not found (bench/supercronic.sh builds it; BOXINIT_BENCH_SUPERCRONIC names it): skipped")
		}
		for _, p := range procs {
			if err := p.cmd.Start(); err != nil {
				b.Fatalf("%s: %v", p.name, err)
			}
			defer func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() }()
		}
		waitReady(b, root+"/ready")
		if _, err := os.Stat(root + "/etc/ssh/ssh_host_rsa_key"); err != nil {
			b.Fatalf("boot made no RSA host key: %v", err)
		}
		time.Sleep(2 * time.Second) // cron loaded, supercronic parsed its jobs
		t0 := make([]int, len(procs))
		for j, p := range procs {
			memFigures(b, p.name, p.cmd.Process.Pid)
			t0[j] = cpuTicks(p.cmd.Process.Pid)
		}
		time.Sleep(time.Duration(idle) * time.Second)
		for j, p := range procs {
			b.ReportMetric(float64(cpuTicks(p.cmd.Process.Pid)-t0[j]), fmt.Sprintf("%s-ticks/%ds", p.name, idle))
		}
	}
}

// BenchmarkFootprintSleep: PID 1's VmHWM with `sleep` as the main command
// after a boot with nothing to do (no sshd, no user), beside tini.
func BenchmarkFootprintSleep(b *testing.B) {
	for _, u := range inits(b) {
		var hwm, anon []float64
		for i := 0; i < b.N*3; i++ {
			cmd := u.command("sleep", "60")
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			time.Sleep(time.Second) // booted and idle
			hwm = append(hwm, float64(vmKiB(cmd.Process.Pid, "VmHWM:")))
			anon = append(anon, float64(vmKiB(cmd.Process.Pid, "RssAnon:")))
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		b.ReportMetric(median(hwm), u.name+"-VmHWM-KiB")
		b.ReportMetric(median(anon), u.name+"-RssAnon-KiB")
	}
}

// BenchmarkFootprintReap5000: PID 1's own CPU while 5,000 orphans are
// reaped. The main command waits on a FIFO, then runs a program that forks
// 5,000 children that exit at once and exits itself when they are all
// zombies, so that they land on PID 1 together; the main command then
// sleeps. PID 1's CPU is read before the FIFO is written and after its
// last child but the main command is gone: ticks (utime+stime) and the ns
// of /proc/PID/task/*/schedstat. Medians of 5 runs, alternating.
func BenchmarkFootprintReap5000(b *testing.B) {
	us := inits(b)
	storm := strings.Join(testutil.Prog(b, "orphans", "5000"), " ")
	ticks := make([][]float64, len(us))
	cpu := make([][]float64, len(us))
	for i := 0; i < b.N*5; i++ {
		for j, u := range us {
			fifo := filepath.Join(b.TempDir(), "go")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				b.Fatal(err)
			}
			cmd := u.command("sh", "-c", "read x < "+fifo+"; "+storm+" >/dev/null; exec sleep 60")
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			pid := cmd.Process.Pid
			time.Sleep(500 * time.Millisecond) // booted, waiting on the FIFO
			t0, c0 := cpuTicks(pid), schedNs(pid)
			if err := os.WriteFile(fifo, []byte("go\n"), 0); err != nil {
				b.Fatal(err)
			}
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(2 * time.Millisecond) {
				if n, sleeping := children(pid); n == 1 && sleeping {
					break
				}
				if time.Now().After(deadline) {
					b.Fatalf("%s: the orphans were not reaped within 30 s", u.name)
				}
			}
			ticks[j] = append(ticks[j], float64(cpuTicks(pid)-t0))
			cpu[j] = append(cpu[j], float64(schedNs(pid)-c0)/1e6)
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}
	for j, u := range us {
		b.ReportMetric(median(ticks[j]), u.name+"-ticks")
		b.ReportMetric(median(cpu[j]), u.name+"-cpu-ms")
	}
	if len(us) == 2 {
		b.ReportMetric(median(cpu[0])/median(cpu[1]), "boxinit/tini-cpu")
	}
}

// children counts the children of pid (over all its threads) and reports
// whether one of them is the main command's `sleep`, i.e. the storm is over.
func children(pid int) (n int, sleeping bool) {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, t := range tasks {
		data, _ := os.ReadFile(t)
		for _, c := range strings.Fields(string(data)) {
			n++
			if comm, _ := os.ReadFile("/proc/" + c + "/comm"); strings.TrimSpace(string(comm)) == "sleep" {
				sleeping = true
			}
		}
	}
	return n, sleeping
}

// schedNs is the CPU time of every thread of pid, in ns (schedstat).
func schedNs(pid int) int64 { return schedstat(pid, 0) }

// schedRuns is how many times the threads of pid were scheduled (the third
// field of schedstat): each wake-up counts.
func schedRuns(pid int) int64 { return schedstat(pid, 2) }

// schedstat sums one field of /proc/PID/task/*/schedstat over the threads.
func schedstat(pid, field int) int64 {
	stats, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	var total int64
	for _, s := range stats {
		data, _ := os.ReadFile(s)
		if f := strings.Fields(string(data)); len(f) > field {
			n, _ := strconv.ParseInt(f[field], 10, 64)
			total += n
		}
	}
	return total
}
