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

	"golang.org/x/sys/unix"

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
	root := benchRoot(b, false, "")
	out := []initUnderTest{{"boxinit", []string{benchBin(), "--root=" + root, "--cron=", "--socket=", "--ready-file=/ready"}}}
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

// BenchmarkEarlySIGTERMAfterGoHandlers measures boxinit's own window: the
// time between the Go runtime installing its handlers (SIGSEGV shows up in
// SigCgt) and boxinit's signal.Notify, in which a SIGTERM ends a Go
// program with exit 2. It sends SIGTERM a fixed delay after that moment
// and reports the share that ended with exit 2 instead of 143.
func BenchmarkEarlySIGTERMAfterGoHandlers(b *testing.B) {
	u := inits(b)[0]
	delays := []time.Duration{0, 250 * time.Microsecond, 500 * time.Microsecond, time.Millisecond, 2 * time.Millisecond}
	const runs = 40
	for i := 0; i < b.N; i++ {
		for _, d := range delays {
			exit2 := 0
			for r := 0; r < runs; r++ {
				cmd := u.command("sleep", "60")
				if err := cmd.Start(); err != nil {
					b.Fatal(err)
				}
				for deadline := time.Now().Add(time.Second); !catchesSignal(cmd.Process.Pid, syscall.SIGSEGV) && time.Now().Before(deadline); {
				}
				time.Sleep(d)
				_ = cmd.Process.Signal(syscall.SIGTERM)
				done := make(chan struct{})
				go func() { _ = cmd.Wait(); close(done) }()
				select {
				case <-done:
				case <-time.After(2 * time.Second):
					_ = cmd.Process.Kill()
					<-done
				}
				if cmd.ProcessState.ExitCode() == 2 {
					exit2++
				}
			}
			b.ReportMetric(float64(exit2)/runs*100, fmt.Sprintf("exit2%%-at-%s", d))
		}
	}
}

// BenchmarkBoot compares `boxinit boot` with the bash rc.local of the old
// chart (bench/rclocal: ssh-keygen -A, useradd, su, shell) for the same
// settings: user, literal key, hostname, a customize command, no network;
// cold (no host keys: a fresh container) and warm (host keys there: a
// restarted pod). Each run gets a fresh copy of the machine's /etc (with
// Debian's base accounts) and an empty /home, bind-mounted over the real
// ones in a private mount, UTS and PID namespace, and a /usr/sbin with an
// sshd in it (an overlay) so that boxinit's sshd step runs; only the boot
// command itself is timed. boxinit-init is the same boot run by boxinit as
// an init (in a child process), up to a main command `true` and the
// shutdown after it.
func BenchmarkBoot(b *testing.B) {
	testutil.RequireRoot(b)
	for _, tool := range []string{"useradd", "su", "bash", "ssh-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			b.Skipf("requires %s", tool)
		}
	}
	rc, err := filepath.Abs("../../bench/rclocal")
	if err != nil {
		b.Fatal(err)
	}
	sbin := b.TempDir() // the overlay's upper layer: an empty sshd
	if err := os.WriteFile(sbin+"/sshd", nil, 0o755); err != nil {
		b.Fatal(err)
	}
	keys := b.TempDir() // host keys for the warm boots, made once
	if err := os.MkdirAll(keys+"/etc/ssh", 0o755); err != nil {
		b.Fatal(err)
	}
	if out, err := exec.Command("ssh-keygen", "-A", "-f", keys).CombinedOutput(); err != nil {
		b.Fatalf("ssh-keygen -A: %v: %s", err, out)
	}
	ways := []struct {
		name  string
		cmd   string
		extra []string // files of bench/rclocal copied into etc
	}{
		{"boxinit", benchBin() + " boot --cron= --ready-file=/etc/ready", nil},
		{"rc.local", "bash " + rc + "/rc.local", []string{"rc.user"}},
		// As an init does it (boot in a child process), to a main command
		// that exits at once; the shutdown after it is in the time too.
		{"boxinit-init", benchBin() + " --cron= --socket= --services=false --ready-file=/etc/ready -- true", nil},
	}
	for _, warm := range []bool{false, true} {
		total := make([]time.Duration, len(ways))
		for i := 0; i < b.N; i++ {
			for j, w := range ways {
				tree := benchTree(b, rc, w.extra)
				if warm {
					if out, err := exec.Command("sh", "-c", "cp -a "+keys+"/etc/ssh/ssh_host_* "+tree+"/etc/ssh/").CombinedOutput(); err != nil {
						b.Fatalf("copy the host keys: %v: %s", err, out)
					}
				}
				script := fmt.Sprintf(`set -e
mount --bind %[1]s/etc /etc
mount --bind %[1]s/home /home
mount -t overlay overlay -o lowerdir=%[3]s:/usr/sbin /usr/sbin
s=${EPOCHREALTIME/./}; %[2]s >/etc/bench.log 2>&1; e=${EPOCHREALTIME/./}
echo $(((e-s)*1000))`, tree, w.cmd, sbin) // EPOCHREALTIME: no fork to read the clock
				out, err := exec.Command("unshare", "--mount", "--uts", "--pid", "--fork", "--mount-proc", "bash", "-c", script).CombinedOutput()
				if err != nil {
					log, _ := os.ReadFile(tree + "/etc/bench.log")
					b.Fatalf("%s: %v: %s\n%s", w.name, err, out, log)
				}
				ns, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
				if err != nil {
					b.Fatalf("%s printed %q", w.name, out)
				}
				if _, err := os.Stat(tree + "/home/human/hello"); err != nil {
					b.Fatalf("%s did not run the customize command", w.name)
				}
				if _, err := os.Stat(tree + "/etc/ssh/ssh_host_rsa_key"); err != nil {
					b.Fatalf("%s made no RSA host key", w.name)
				}
				total[j] += time.Duration(ns)
			}
		}
		state := map[bool]string{false: "cold", true: "warm"}[warm]
		for j, w := range ways {
			b.ReportMetric(float64(total[j].Microseconds())/1000/float64(b.N), w.name+"-"+state+"-ms")
		}
		b.ReportMetric(float64(total[1])/float64(total[0]), "rc.local/boxinit-"+state)
	}
}

// benchTree copies the machine's /etc, puts Debian's base account files and
// the benchmark's rc.env (and extra files) in it, and adds an empty home.
func benchTree(b *testing.B, rc string, extra []string) string {
	b.StopTimer()
	defer b.StartTimer()
	tree := b.TempDir()
	if out, err := exec.Command("cp", "-a", "/etc", tree+"/etc").CombinedOutput(); err != nil {
		b.Fatalf("copy /etc: %v: %s", err, out)
	}
	for _, f := range []string{"passwd", "group", "shadow", "gshadow"} {
		data, err := os.ReadFile("../../testdata/roots/debian/etc/" + f)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(tree+"/etc/"+f, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for _, f := range append([]string{"rc.env"}, extra...) {
		data, err := os.ReadFile(rc + "/" + f)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(tree+"/etc/"+f, data, 0o755); err != nil {
			b.Fatal(err)
		}
	}
	if err := os.Mkdir(tree+"/home", 0o755); err != nil {
		b.Fatal(err)
	}
	unix.Sync() // the copy's dirty pages are not the first fsync's business
	return tree
}
