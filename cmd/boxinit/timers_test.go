package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxinit/boxinit/internal/status"
	"github.com/boxinit/boxinit/internal/timers"
	"github.com/boxinit/boxinit/internal/units"
)

// The packages of testdata/timers/debian ship a timer and a cron.d file
// for the same work; the cron.d file skips itself only where
// /run/systemd/system exists, which boxinit does not create.
func TestCronTwin_DebianTimersWithASelfSkippingCronDLineAreLeftToCron(t *testing.T) {
	root := "../../testdata/timers/debian/root"
	want := map[string]string{
		"e2scrub_all.timer":     "/etc/cron.d/e2scrub_all", // the line tests the marker
		"sysstat-collect.timer": "/etc/cron.d/sysstat",     // debian-sa1, which the line runs, tests it
		"sysstat-summary.timer": "/etc/cron.d/sysstat",
		"phpsessionclean.timer": "/etc/cron.d/php",
		"certbot.timer":         "/etc/cron.d/certbot",
		"anacron.timer":         "/etc/cron.d/anacron",
	}
	l, err := units.NewLoader(root)
	if err != nil {
		t.Fatal(err)
	}
	for name, cronFile := range want {
		u, err := l.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := cronTwin(root, u.Fragment); got != cronFile {
			t.Errorf("cronTwin(%s) = %q, want %q", name, got, cronFile)
		}
	}
}

func TestCronTwin_ATimerWithoutSuchACronDFileRuns(t *testing.T) {
	root := t.TempDir()
	src := "../../testdata/timers/debian/root"
	// sysstat without the marker test in debian-sa1: no twin.
	for _, f := range []string{"var/lib/dpkg/info/sysstat.list", "etc/cron.d/sysstat", "lib/systemd/system/sysstat-collect.timer"} {
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(root, f), string(data))
	}
	writeFile(t, filepath.Join(root, "usr/lib/sysstat/debian-sa1"), "#!/bin/sh\nexec /usr/lib/sysstat/sa1 \"$@\"\n")
	if got := cronTwin(root, "/lib/systemd/system/sysstat-collect.timer"); got != "" {
		t.Errorf("cronTwin = %q, want none", got)
	}
	if got := cronTwin(root, "/lib/systemd/system/apt-daily.timer"); got != "" {
		t.Errorf("cronTwin of a timer no package lists = %q, want none", got)
	}
}

func TestCronReadsCronD_OnlyWhenTheSourcesIncludeIt(t *testing.T) {
	if !cronReadsCronD([]string{"/etc/crontab", "/etc/cron.d/"}) || cronReadsCronD([]string{"/etc/crontab"}) || cronReadsCronD(nil) {
		t.Error("cronReadsCronD is wrong")
	}
}

func writeFile(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCheckTimers_ABadOnCalendarIsReportedWithFileAndLine(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "etc/systemd/system/good.timer"), "[Timer]\nOnCalendar=Mon..Fri 09:00\n")
	writeFile(t, filepath.Join(root, "etc/systemd/system/bad.timer"), "[Unit]\nDescription=x\n\n[Timer]\nOnCalendar=Mon..Fry 09:00\n")
	var out, errOut bytes.Buffer
	if checkTimers(root, &out, &errOut) {
		t.Fatal("checkTimers accepted a bad OnCalendar=")
	}
	if !strings.Contains(errOut.String(), "/etc/systemd/system/bad.timer:5: OnCalendar=Mon..Fry 09:00") {
		t.Errorf("stderr does not name bad.timer:5:\n%s", errOut.String())
	}
	if !strings.Contains(out.String(), "timer: good.timer  next ") || !strings.Contains(out.String(), "activates good.service") {
		t.Errorf("stdout does not list good.timer with its next run:\n%s", out.String())
	}

	os.Remove(filepath.Join(root, "etc/systemd/system/bad.timer"))
	out.Reset()
	errOut.Reset()
	if !checkTimers(root, &out, &errOut) {
		t.Errorf("checkTimers refused good timers: %s", errOut.String())
	}
}

func TestCheckTimers_TheShippedDebianTimersAreGood(t *testing.T) {
	var out, errOut bytes.Buffer
	if !checkTimers("../../testdata/timers/debian/root", &out, &errOut) {
		t.Fatalf("refused:\n%s", errOut.String())
	}
	for _, n := range []string{"e2scrub_all.timer", "sysstat-collect.timer", "phpsessionclean.timer", "certbot.timer", "anacron.timer"} {
		if !strings.Contains(out.String(), "timer: "+n+"  next ") {
			t.Errorf("%s not listed with a next run:\n%s", n, out.String())
		}
	}
}

func TestListTimers_ShowsSystemdsColumns(t *testing.T) {
	now := time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC)
	rows := []timerRow{
		{Name: "apt-daily.timer", Unit: "apt-daily.service", State: "waiting", Next: now.Add(5*time.Hour + 35*time.Minute), Last: now.Add(-2 * time.Hour)},
		{Name: "e2scrub_all.timer", Unit: "e2scrub_all.service", State: "waiting", Skipped: "cron runs /etc/cron.d/e2scrub_all"},
		{Name: "off.timer", Unit: "off.service", State: "dead"},
	}
	var b bytes.Buffer
	listTimers(&b, rows, now, false)
	got := b.String()
	for _, want := range []string{"NEXT", "LEFT", "LAST", "PASSED", "UNIT", "ACTIVATES",
		"Wed 2026-12-02 20:35:00 UTC", "5h 35min left", "2h 0min ago", "apt-daily.service", "1 timers listed."} {
		if !strings.Contains(got, want) {
			t.Errorf("list-timers lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "off.timer") || strings.Contains(got, "e2scrub_all.timer") {
		t.Errorf("list-timers without --all shows a stopped or skipped timer:\n%s", got)
	}
	b.Reset()
	listTimers(&b, rows, now, true)
	if !strings.Contains(b.String(), "3 timers listed.") {
		t.Errorf("--all:\n%s", b.String())
	}
}

func TestInit_RunsTimersOncePerElapseAndAMissedPersistentOneAtBoot(t *testing.T) {
	marks := t.TempDir()
	root := bootTree(t, "")
	dir := filepath.Join(root, "etc/systemd/system")
	writeFile(t, filepath.Join(dir, "tick.timer"), "[Timer]\nOnCalendar=*:*:0/2\nAccuracySec=1us\n\n[Install]\nWantedBy=timers.target\n")
	writeFile(t, filepath.Join(dir, "tick.service"), "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'date +%%s >> "+marks+"/tick'\n")
	writeFile(t, filepath.Join(dir, "daily.timer"), "[Timer]\nOnCalendar=daily\nPersistent=true\n\n[Install]\nWantedBy=timers.target\n")
	writeFile(t, filepath.Join(dir, "daily.service"), "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo ran >> "+marks+"/daily'\n")
	wantUnits(t, root, "timers.target", "tick.timer", "daily.timer")
	stamp := filepath.Join(root, "var/lib/boxinit/timers/stamp-daily.timer")
	writeFile(t, stamp, "")
	old := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(stamp, old, old); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "boxinit.sock")
	startInit(t, "--root="+root, "--ready-file=/ready", "--socket="+sock, "--services=true", "--cron=")
	eventually(t, 10*time.Second, "tick.service ran 3 times", func() bool { return len(lines(t, marks+"/tick")) >= 3 })
	ticks := lines(t, marks+"/tick")
	seen := map[string]bool{}
	for _, s := range ticks {
		if seen[s] {
			t.Errorf("tick.service ran twice in second %s: %v", s, ticks)
		}
		seen[s] = true
	}
	if got := lines(t, marks+"/daily"); len(got) != 1 {
		t.Errorf("daily.service ran %d times, want once (its stamp was 2 days old)", len(got))
	}
	if st, err := os.Stat(stamp); err != nil || time.Since(st.ModTime()) > time.Minute {
		t.Errorf("the stamp was not renewed: %v %v", st, err)
	}
	out, errOut, code := systemctlCmd(t, "--socket="+sock, "list-timers")
	if code != 0 || !strings.Contains(out, "tick.timer") || !strings.Contains(out, "daily.timer") || !strings.Contains(out, "2 timers listed.") {
		t.Errorf("list-timers: %d %s %s", code, out, errOut)
	}
	// while tick.service runs (a moment every 2 s) its timer has no next
	// elapse and sorts last: look between two runs
	var d status.Document
	eventually(t, 5*time.Second, "status lists both timers with their next and last elapses", func() bool {
		d = queryJSON(t, sock)
		return len(d.Timers) == 2 && d.Timers[0].Name == "tick.timer" && !d.Timers[0].Next.IsZero() && d.Timers[0].Activates == "tick.service" &&
			d.Timers[1].Name == "daily.timer" && !d.Timers[1].Last.IsZero()
	})
	_, errOut, code = systemctlCmd(t, "--socket="+sock, "stop", "tick.timer")
	if code != 0 {
		t.Fatalf("stop tick.timer: %d %s", code, errOut)
	}
	out, _, code = systemctlCmd(t, "--socket="+sock, "status", "tick.timer")
	if code != 3 || !strings.Contains(out, "inactive (dead)") {
		t.Errorf("status of a stopped timer: %d %s", code, out)
	}
	time.Sleep(100 * time.Millisecond)
	n := len(lines(t, marks+"/tick"))
	time.Sleep(2500 * time.Millisecond)
	if m := len(lines(t, marks+"/tick")); m != n {
		t.Errorf("a stopped timer ran: %d then %d", n, m)
	}
	_, errOut, code = systemctlCmd(t, "--socket="+sock, "start", "tick.timer")
	if code != 0 {
		t.Fatalf("start tick.timer: %d %s", code, errOut)
	}
	eventually(t, 5*time.Second, "tick.service runs again", func() bool { return len(lines(t, marks+"/tick")) > n })
}

func TestCheck_ABadTimerExitsWithConfigErrorNamingFileAndLine(t *testing.T) {
	root := bootTree(t, "")
	writeFile(t, filepath.Join(root, "etc/systemd/system/report.timer"), "[Timer]\nOnCalendar=*-*-* 25:00\nPersistent=maybe\n")
	cmd := exec.Command(boxinitBin, "check", "--root="+root, "--cron=")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitConfig {
		t.Fatalf("boxinit check: %v, want exit %d\n%s", err, exitConfig, stderr.String())
	}
	for _, want := range []string{"boxinit: timer: /etc/systemd/system/report.timer:2: OnCalendar=*-*-* 25:00: ",
		"boxinit: timer: /etc/systemd/system/report.timer:3: Persistent=maybe: "} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
}

func TestTimerHost_ArmsCronDTwinsOnlyWhereTheirCronLineSkipsItselfAndNeverSystemdsOwn(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := &timerHost{root: "../../testdata/timers/debian/root", cronD: true, log: quiet,
		entries: map[string]*timerEntry{}, wake: make(chan struct{}, 1), env: &timers.Env{}}
	for _, n := range []string{"sysstat-collect.timer", "phpsessionclean.timer"} {
		if err := h.startTimer(n); err != nil {
			t.Fatal(err)
		}
	}
	rows := h.rows()
	if len(rows) != 2 {
		t.Fatalf("rows: %+v", rows)
	}
	for _, r := range rows {
		if r.State != "dead" || !strings.HasPrefix(r.Skipped, "cron runs /etc/cron.d/") || !r.Next.IsZero() {
			t.Errorf("%s is armed: %+v", r.Name, r)
		}
	}

	// with the marker (PID 1 made it: the cron.d lines skip themselves) the
	// timers do the work
	withMarker := t.TempDir()
	require.NoError(t, os.CopyFS(withMarker, os.DirFS("../../testdata/timers/debian/root")))
	require.NoError(t, os.MkdirAll(filepath.Join(withMarker, "run/systemd/system"), 0o755))
	h = &timerHost{root: withMarker, cronD: true, log: quiet,
		entries: map[string]*timerEntry{}, wake: make(chan struct{}, 1), env: &timers.Env{}}
	for _, n := range []string{"sysstat-collect.timer", "phpsessionclean.timer"} {
		require.NoError(t, h.startTimer(n))
	}
	for _, r := range h.rows() {
		if r.Skipped != "" || r.Next.IsZero() {
			t.Errorf("%s is not armed where its cron.d twin skips itself: %+v", r.Name, r)
		}
	}

	root := t.TempDir()
	writeFile(t, filepath.Join(root, "lib/systemd/system/systemd-tmpfiles-clean.timer"), "[Timer]\nOnBootSec=15min\nOnUnitActiveSec=1d\n")
	h = &timerHost{root: root, log: quiet, entries: map[string]*timerEntry{}, wake: make(chan struct{}, 1), env: &timers.Env{}}
	if err := h.startTimer("systemd-tmpfiles-clean.timer"); err != nil {
		t.Fatal(err)
	}
	if r := h.rows(); len(r) != 1 || r[0].Skipped != "one of systemd's own units" || r[0].State != "dead" {
		t.Errorf("systemd-tmpfiles-clean.timer: %+v", r)
	}
}

// Debian's sysstat.service wants its two timers through
// sysstat.service.wants/ (their WantedBy=sysstat.service): systemd pulls
// them in when it starts sysstat.service at boot, and so must boxinit, or
// with /run/systemd/system there the cron.d line skips itself and nothing
// collects.
func TestInit_ArmsATimerThatAnEnabledServiceWants(t *testing.T) {
	root := bootTree(t, "")
	dir := filepath.Join(root, "etc/systemd/system")
	writeFile(t, filepath.Join(dir, "stat.service"), "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n\n[Install]\nWantedBy=multi-user.target\nAlso=stat-collect.timer\n")
	writeFile(t, filepath.Join(dir, "stat-collect.timer"), "[Timer]\nOnCalendar=*:00/10\n\n[Install]\nWantedBy=stat.service\n")
	writeFile(t, filepath.Join(dir, "stat-collect.service"), "[Service]\nType=oneshot\nExecStart=/bin/true\n")
	wantUnits(t, root, "multi-user.target", "stat.service")
	wantUnits(t, root, "stat.service", "stat-collect.timer")
	sock := filepath.Join(t.TempDir(), "boxinit.sock")
	startInit(t, "--root="+root, "--ready-file=/ready", "--socket="+sock, "--services=true", "--cron=")
	waitFile(t, filepath.Join(root, "ready"), 10*time.Second)
	var out string
	eventually(t, 5*time.Second, "stat-collect.timer armed", func() bool {
		out, _, _ = systemctlCmd(t, "--socket="+sock, "list-timers")
		return strings.Contains(out, "stat-collect.timer")
	})
	require.Regexp(t, `\d\d:\d0:00 \S+ +[^-]+ left +- +- +stat-collect\.timer +stat-collect\.service`, out)
}

// PID 1 with the real services: nothing but `systemctl start` ever starts
// watch.service, and watch.timer (OnUnitActiveSec=2s) counts from that
// start, then from each of its own; a timer whose own condition fails is
// not armed, and status says why.
func TestInit_OnUnitActiveSecCountsFromASystemctlStartAndAFailedTimerConditionSkipsIt(t *testing.T) {
	marks := t.TempDir()
	root := bootTree(t, "")
	dir := filepath.Join(root, "etc/systemd/system")
	writeFile(t, filepath.Join(dir, "watch.timer"), "[Timer]\nOnUnitActiveSec=2s\nAccuracySec=1us\n\n[Install]\nWantedBy=timers.target\n")
	writeFile(t, filepath.Join(dir, "watch.service"), "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'date +%%s.%%N >> "+marks+"/watch'\n")
	writeFile(t, filepath.Join(dir, "never.timer"), "[Unit]\nConditionPathExists=/etc/never-there\n\n[Timer]\nOnBootSec=1s\n\n[Install]\nWantedBy=timers.target\n")
	writeFile(t, filepath.Join(dir, "never.service"), "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo ran >> "+marks+"/never'\n")
	wantUnits(t, root, "timers.target", "watch.timer", "never.timer")
	sock := filepath.Join(t.TempDir(), "boxinit.sock")
	startInit(t, "--root="+root, "--ready-file=/ready", "--socket="+sock, "--services=true", "--cron=")
	eventually(t, 10*time.Second, "the timers are loaded", func() bool {
		out, _, _ := systemctlCmd(t, "--socket="+sock, "list-timers", "--all")
		return strings.Contains(out, "2 timers listed.")
	})
	time.Sleep(2500 * time.Millisecond)
	if got := lines(t, marks+"/watch"); len(got) != 0 {
		t.Fatalf("watch.service ran before anyone started it: %v", got)
	}
	if _, errOut, code := systemctlCmd(t, "--socket="+sock, "start", "watch.service"); code != 0 {
		t.Fatalf("systemctl start watch.service: %d %s", code, errOut)
	}
	eventually(t, 10*time.Second, "the timer started watch.service twice after systemctl did", func() bool { return len(lines(t, marks+"/watch")) >= 3 })
	var at []float64
	for _, l := range lines(t, marks+"/watch") {
		var f float64
		if _, err := fmt.Sscan(l, &f); err != nil {
			t.Fatal(err)
		}
		at = append(at, f)
	}
	for i := 1; i < len(at); i++ {
		if gap := at[i] - at[i-1]; gap < 1.5 {
			t.Errorf("run %d came %.2fs after the one before, want about 2s: %v", i, gap, at)
		}
	}
	if got := lines(t, marks+"/never"); len(got) != 0 {
		t.Errorf("never.service ran although never.timer's condition fails")
	}
	out, _, code := systemctlCmd(t, "--socket="+sock, "status", "never.timer")
	if code != 3 || !strings.Contains(out, "Skipped: condition failed: ConditionPathExists=/etc/never-there") {
		t.Errorf("status never.timer: %d\n%s", code, out)
	}
}
