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

	"github.com/boxinit/boxinit/internal/testutil"
)

// benchSeconds is how long each contender of BenchmarkCronEverySecond runs.
func benchSeconds() int {
	if n, err := strconv.Atoi(os.Getenv("BOXINIT_BENCH_CRON_SECONDS")); err == nil && n > 5 {
		return n
	}
	return 60
}

// BenchmarkCronEverySecond measures the start latency of an every-second
// job as the job sees it: how far past the second boundary `date +%s.%N`
// runs. Side by side: the spawn floor (a loop that sleeps to the next
// second and starts the same command), boxinit (@every 1s, as PID 1) and
// supercronic when found (see supercronic()).
func BenchmarkCronEverySecond(b *testing.B) {
	testutil.RequireRoot(b)
	secs := strconv.Itoa(benchSeconds())
	dir := b.TempDir()
	type contender struct {
		name string
		cmd  func(out string) *exec.Cmd
	}
	contenders := []contender{
		{"floor", func(out string) *exec.Cmd {
			argv := testutil.Prog(b, "spawnfloor", out, secs)
			return exec.Command(argv[0], argv[1:]...)
		}},
		{"boxinit", func(out string) *exec.Cmd {
			crontab := filepath.Join(dir, "boxinit.crontab")
			_ = os.WriteFile(crontab, []byte("@every 1s root date +\\%s.\\%N >> "+out+"\n"), 0o644)
			cmd := exec.Command(benchBin(), "--socket=", "--services=false", "--cron="+crontab, "--ready-file="+filepath.Join(dir, "ready"), "--", "sleep", secs)
			cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
			return cmd
		}},
	}
	if sc := supercronic(); sc != "" {
		contenders = append(contenders, contender{"supercronic", func(out string) *exec.Cmd {
			crontab := filepath.Join(dir, "supercronic.crontab")
			_ = os.WriteFile(crontab, []byte("* * * * * * * date +%s.%N >> "+out+"\n"), 0o644)
			return exec.Command("timeout", secs, sc, "-quiet", crontab)
		}})
	} else {
		b.Log("supercronic not found (bench/supercronic.sh builds it; BOXINIT_BENCH_SUPERCRONIC names it): its column is skipped")
	}
	for i := 0; i < b.N; i++ {
		for _, c := range contenders {
			out := filepath.Join(dir, c.name+".out")
			_ = os.Remove(out)
			_ = c.cmd(out).Run() // supercronic ends by timeout
			median, p99, n := latencies(b, out)
			b.ReportMetric(median, c.name+"-median-ms")
			b.ReportMetric(p99, c.name+"-p99-ms")
			b.Logf("%s: %d runs, median %.2f ms, p99 %.2f ms past the second", c.name, n, median, p99)
		}
	}
}

// latencies reads "seconds.nanoseconds" lines and returns the median and
// 99th percentile of the part past the second, in ms, skipping the first
// two runs (start-up).
func latencies(b *testing.B, path string) (median, p99 float64, n int) {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatalf("%s: %v", path, err)
	}
	var ms []float64
	for i, line := range strings.Fields(string(data)) {
		_, frac, ok := strings.Cut(line, ".")
		if !ok || i < 2 {
			continue
		}
		ns, _ := strconv.Atoi(frac)
		ms = append(ms, float64(ns)/1e6)
	}
	if len(ms) == 0 {
		b.Fatalf("%s: no runs", path)
	}
	slices.Sort(ms)
	return ms[len(ms)/2], ms[(len(ms)*99)/100], len(ms)
}

// supercronic is the supercronic binary to compare with: the one
// BOXINIT_BENCH_SUPERCRONIC names (bench/supercronic.sh builds it from
// source at bench time), else one on PATH, else "".
func supercronic() string {
	if sc := os.Getenv("BOXINIT_BENCH_SUPERCRONIC"); sc != "" {
		return sc
	}
	sc, _ := exec.LookPath("supercronic")
	return sc
}

// cpuTicks is utime+stime of pid, in clock ticks.
func cpuTicks(pid int) int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.Atoi(f[11])
	k, _ := strconv.Atoi(f[12])
	return u + k
}
