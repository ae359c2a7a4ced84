package main

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/boxinit/boxinit/internal/status"
	"github.com/boxinit/boxinit/internal/testutil"
)

// systemctlCmd runs the binary as `systemctl` (a link named so) with args.
func systemctlCmd(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	link := filepath.Join(t.TempDir(), "systemctl")
	require.NoError(t, os.Symlink(boxinitBin, link))
	cmd := exec.Command(link, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return o.String(), e.String(), ee.ExitCode()
	}
	require.NoError(t, err)
	return o.String(), e.String(), 0
}

func journalLink(t *testing.T) string {
	link := filepath.Join(t.TempDir(), "journalctl")
	require.NoError(t, os.Symlink(boxinitBin, link))
	return link
}

// journalctlCmd runs the binary as `journalctl` with args.
func journalctlCmd(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(journalLink(t), args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return o.String(), e.String(), ee.ExitCode()
	}
	require.NoError(t, err)
	return o.String(), e.String(), 0
}

// syncBuffer is a bytes.Buffer a process writes to while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestSystemctl_EnableAndDisableWorkOnTheFilesOfADebianImageWithoutABoxinit(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.CopyFS(root, os.DirFS("../../testdata/units/debian/root")))
	wants := filepath.Join(root, "etc/systemd/system/multi-user.target.wants/nginx.service")
	require.FileExists(t, wants)

	out, _, code := systemctlCmd(t, "--root="+root, "is-enabled", "nginx")
	assert.Equal(t, "enabled\n", out)
	assert.Equal(t, 0, code)

	_, errOut, code := systemctlCmd(t, "--root="+root, "disable", "nginx")
	assert.Equal(t, 0, code, errOut)
	assert.Contains(t, errOut, "Removed ")
	assert.NoFileExists(t, wants)
	out, _, code = systemctlCmd(t, "--root="+root, "is-enabled", "nginx.service")
	assert.Equal(t, "disabled\n", out)
	assert.Equal(t, 1, code, "is-enabled of a disabled unit")

	_, errOut, code = systemctlCmd(t, "--root="+root, "enable", "nginx")
	assert.Equal(t, 0, code, errOut)
	target, err := os.Readlink(wants)
	require.NoError(t, err)
	assert.Equal(t, "/lib/systemd/system/nginx.service", target)

	// deb-systemd-helper's first enable, when a systemctl exists
	_, errOut, code = systemctlCmd(t, "--root="+root, "disable", "nginx")
	require.Equal(t, 0, code, errOut)
	_, errOut, code = systemctlCmd(t, "--root="+root, "--system", "--preset-mode=enable-only", "preset", "nginx.service")
	assert.Equal(t, 0, code, errOut)
	assert.FileExists(t, wants)

	_, errOut, code = systemctlCmd(t, "--root="+root, "is-enabled", "no-such-unit")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "no-such-unit.service")
}

func TestSystemctl_ListUnitFilesShowsEachUnitFileOfADebianImageWithItsState(t *testing.T) {
	root := "--root=../../testdata/units/debian/root"
	out, errOut, code := systemctlCmd(t, root, "list-unit-files")
	require.Equal(t, 0, code, errOut)
	assert.Regexp(t, `^UNIT FILE +STATE\n`, out)
	for _, want := range []string{`nginx\.service +enabled`, `apt-daily\.service +static`, `sshd\.service +alias`,
		`ssh\.socket +disabled`, `postgresql@\.service +disabled`, `pg_dump@\.service +static`, `apt-daily\.timer +enabled`} {
		assert.Regexp(t, `(?m)^`+want+`$`, out)
	}
	assert.Regexp(t, `\n\n\d+ unit files listed\.\n$`, out)
	assert.NotContains(t, out, "bad")

	out, _, code = systemctlCmd(t, root, "list-unit-files", "--type=timer", "apt-*")
	assert.Equal(t, 0, code)
	assert.Equal(t, "UNIT FILE               STATE\napt-daily-upgrade.timer enabled\napt-daily.timer         enabled\n\n2 unit files listed.\n", out)
}

func TestSystemctl_WithoutARunningBoxinitStartDoesNothingAndQueriesSayInactive(t *testing.T) {
	sock := "--socket=" + filepath.Join(t.TempDir(), "none.sock")
	_, errOut, code := systemctlCmd(t, sock, "start", "nginx.service")
	assert.Equal(t, 0, code, "as systemctl in a chroot: maintainer scripts go on")
	assert.Contains(t, errOut, "ignoring command 'start'")

	_, errOut, code = systemctlCmd(t, sock, "--quiet", "restart", "nginx")
	assert.Equal(t, 0, code)
	assert.Empty(t, errOut)

	out, _, code := systemctlCmd(t, sock, "is-active", "nginx")
	assert.Equal(t, "inactive\n", out)
	assert.Equal(t, 3, code)

	out, _, code = systemctlCmd(t, sock, "is-system-running")
	assert.Equal(t, "offline\n", out)
	assert.Equal(t, 1, code)

	_, _, code = systemctlCmd(t, sock, "frobnicate", "nginx")
	assert.Equal(t, exitUsage, code)
}

func TestServiceEnv_IsSystemdsCleanOneWithTheImagesLocaleAndNoContainerVariables(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "etc/default"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc/default/locale"), []byte("# set by locale-gen\nLANG=\"de_DE.UTF-8\"\nLC_TIME=en_GB.UTF-8\nOTHER=x\n"), 0o644))
	env := serviceEnv(root, []string{"TZ=Europe/Berlin", "SECRET_TOKEN=hunter2", "HOME=/root", "PATH=/opt/x"})
	assert.Equal(t, []string{"LANG=de_DE.UTF-8", "LC_TIME=en_GB.UTF-8", "TZ=Europe/Berlin"}, env)

	assert.Equal(t, []string{"LANG=C.UTF-8"}, serviceEnv(t.TempDir(), []string{"TZ="}))
}

func TestHasEnabledUnits_SeesTheWantsOfMultiUserTargetAnywhereOnTheSearchPath(t *testing.T) {
	root := t.TempDir()
	assert.False(t, hasEnabledUnits(root))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "etc/systemd/system/multi-user.target.wants"), 0o755))
	assert.False(t, hasEnabledUnits(root), "an empty .wants enables nothing")
	require.NoError(t, os.MkdirAll(filepath.Join(root, "usr/lib/systemd/system/multi-user.target.wants"), 0o755))
	require.NoError(t, os.Symlink("../x.service", filepath.Join(root, "usr/lib/systemd/system/multi-user.target.wants/x.service")))
	assert.True(t, hasEnabledUnits(root))
}

func TestUnitName_AddsServiceOnlyWithoutAUnitType(t *testing.T) {
	for in, want := range map[string]string{
		"nginx": "nginx.service", "nginx.service": "nginx.service", "postgresql@15-main": "postgresql@15-main.service",
		"apt-daily.timer": "apt-daily.timer", "multi-user.target": "multi-user.target", "php8.2-fpm": "php8.2-fpm.service",
	} {
		assert.Equal(t, want, unitName(in), in)
	}
}

// wantUnits enables units of root's /etc/systemd/system for unit, as
// `systemctl enable` links them: UNIT.wants/NAME -> /etc/systemd/system/NAME.
func wantUnits(t testing.TB, root, unit string, names ...string) {
	t.Helper()
	dir := filepath.Join(root, "etc/systemd/system", unit+".wants")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for _, n := range names {
		require.NoError(t, os.Symlink("/etc/systemd/system/"+n, filepath.Join(dir, n)))
	}
}

// serviceTree is a boot root with one enabled unit, demo.service: a shell
// that records its pid and sleeps, restarted on failure, whose ExecStop=
// leaves a mark.
func serviceTree(t *testing.T, marks string) string {
	root := bootTree(t, "SECRET_TOKEN=hunter2\n")
	dir := filepath.Join(root, "etc/systemd/system")
	wantUnits(t, root, "multi-user.target", "demo.service")
	unit := "[Unit]\nDescription=Demo daemon\n\n[Service]\nExecStartPre=/bin/sh -c 'sleep 0.3; touch " + marks + "/pre'\n" +
		"ExecStart=/bin/sh -c 'echo started token=hunter2; env > " + marks + "/env; echo $$$$ >> " + marks + "/pids; exec sleep 1000'\n" +
		"ExecStop=/bin/sh -c 'echo stopped >> " + marks + "/stops; kill $MAINPID'\n" +
		"Restart=on-failure\nRestartSec=100ms\n\n[Install]\nWantedBy=multi-user.target\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "demo.service"), []byte(unit), 0o644))
	return root
}

func lines(t *testing.T, path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	return strings.Fields(string(b))
}

func TestInit_StartsTheEnabledUnitsDrivesThemWithSystemctlAndStopsThemTheirWay(t *testing.T) {
	marks := t.TempDir()
	root := serviceTree(t, marks)
	sock := filepath.Join(t.TempDir(), "boxinit.sock")
	require.NoError(t, os.WriteFile(filepath.Join(root, "ready"), nil, 0o644))        // stale, from the last run
	require.NoError(t, os.MkdirAll(filepath.Join(root, "run/systemd/system"), 0o755)) // boxinit's marker, from the last run
	p := startInit(t, "--root="+root, "--ready-file=/ready", "--socket="+sock, "--services=true")
	time.Sleep(100 * time.Millisecond) // PID 1 removes the stale ready file first thing
	waitFile(t, filepath.Join(root, "ready"), 10*time.Second)
	assert.FileExists(t, marks+"/pre", "the ready file comes once the units have started")
	assert.NoFileExists(t, filepath.Join(root, "ready.boot"))
	eventually(t, 5*time.Second, "demo.service started", func() bool { return len(lines(t, marks+"/pids")) == 1 })
	assert.DirExists(t, filepath.Join(root, "run/systemd/system"), "Debian's scripts see a service manager: apt-get install starts units")

	env := strings.Join(lines(t, marks+"/env"), "\n")
	assert.NotContains(t, env, "SECRET_TOKEN", "rc.env stays out of the services")
	assert.Contains(t, env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	assert.Contains(t, env, "INVOCATION_ID=")

	out, errOut, code := systemctlCmd(t, "--socket="+sock, "is-active", "demo")
	assert.Equal(t, "active\n", out, errOut)
	assert.Equal(t, 0, code)
	out, _, code = systemctlCmd(t, "--socket="+sock, "is-system-running")
	assert.Equal(t, "running\n", out)
	assert.Equal(t, 0, code)

	d := queryJSON(t, sock)
	require.Len(t, d.Services, 1)
	first, err := strconv.Atoi(lines(t, marks+"/pids")[0])
	require.NoError(t, err)
	assert.Equal(t, status.Service{Name: "demo.service", State: "active", Sub: "running", Result: "success",
		MainPID: first, Since: d.Services[0].Since, Restarts: 0}, d.Services[0])
	text, _ := statusCmd(t, sock)
	assert.Contains(t, text, "services: 1")
	assert.Regexp(t, `demo.service +active +`+strconv.Itoa(first)+` +0 +\d`, text)

	// kill -9 (pids are the namespace's: through systemctl kill), and
	// Restart=on-failure brings it back
	_, errOut, code = systemctlCmd(t, "--socket="+sock, "kill", "-s", "KILL", "--kill-whom=main", "demo")
	require.Equal(t, 0, code, errOut)
	eventually(t, 5*time.Second, "demo.service restarted", func() bool { return len(lines(t, marks+"/pids")) == 2 })
	eventually(t, 2*time.Second, "status counts the restart", func() bool {
		d := queryJSON(t, sock)
		return len(d.Services) == 1 && d.Services[0].Restarts == 1 && d.Services[0].State == "active"
	})

	// systemctl stop runs ExecStop=; is-active says 3; start brings it back
	_, errOut, code = systemctlCmd(t, "--socket="+sock, "stop", "demo")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, []string{"stopped", "stopped"}, lines(t, marks+"/stops"), "ExecStop= after the kill (as systemd), then for the stop")
	out, _, code = systemctlCmd(t, "--socket="+sock, "is-active", "demo.service")
	assert.Equal(t, "inactive\n", out)
	assert.Equal(t, 3, code)
	_, errOut, code = systemctlCmd(t, "--socket="+sock, "restart", "demo")
	require.Equal(t, 0, code, errOut)
	eventually(t, 2*time.Second, "restarted by systemctl", func() bool { return len(lines(t, marks+"/pids")) == 3 })

	out, _, code = systemctlCmd(t, "--socket="+sock, "status", "demo")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "demo.service - Demo daemon")
	assert.Contains(t, out, "Active: active (running)")
	assert.NotContains(t, out, "hunter2", "service output is masked")
	assert.Contains(t, p.out.String(), "token=[redacted]", "rc.env values are masked in the log")
	out, errOut, code = journalctlCmd(t, "--socket="+sock, "-u", "demo", "-n", "2", "-o", "cat")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, "started token=[redacted]\nstarted token=[redacted]\n", out, "the last 2 of 3 starts' lines, masked")
	out, _, _ = journalctlCmd(t, "--socket="+sock, "-u", "demo.service")
	assert.Regexp(t, `(?m)^\w{3} [ \d]\d \d\d:\d\d:\d\d\.\d{3} \S+ demo\.service: started token=\[redacted\]$`, out)
	assert.Equal(t, 3, strings.Count(out, "demo.service: started"), "every line kept, ExecStop='s too")
	out, _, code = journalctlCmd(t, "--socket="+sock, "-u", "nope")
	assert.Equal(t, "-- No entries --\n", out)
	assert.Equal(t, 0, code)
	follow := exec.Command(journalLink(t), "--socket="+sock, "-u", "demo", "-f", "-n", "1", "-o", "cat", "--poll=20ms")
	var followed syncBuffer
	follow.Stdout = &followed
	require.NoError(t, follow.Start())
	eventually(t, 2*time.Second, "journalctl -f prints the last line", func() bool { return followed.String() == "started token=[redacted]\n" })
	_, errOut, code = systemctlCmd(t, "--socket="+sock, "restart", "demo")
	require.Equal(t, 0, code, errOut)
	eventually(t, 2*time.Second, "journalctl -f prints the new line", func() bool {
		return followed.String() == "started token=[redacted]\nstarted token=[redacted]\n"
	})
	require.NoError(t, follow.Process.Signal(syscall.SIGINT))
	require.NoError(t, follow.Wait(), "-f ends with 0 on ^C")

	_, _, code = systemctlCmd(t, "--socket="+sock, "status", "nope")
	assert.Equal(t, 4, code)
	_, errOut, code = systemctlCmd(t, "--socket="+sock, "start", "nope")
	assert.Equal(t, 5, code)
	assert.Contains(t, errOut, "nope.service not found")

	// no main command: a VM idles until SIGTERM, then the unit stops its way
	p.signal(syscall.SIGTERM)
	code, _ = p.wait(15 * time.Second)
	assert.Equal(t, 0, code)
	assert.Len(t, lines(t, marks+"/stops"), 4, "ExecStop= at shutdown")
}

func TestSystemctl_RequestsAreRootsOnlyAndANonRootUserIsToldSo(t *testing.T) {
	testutil.RequireRoot(t)
	dir, err := os.MkdirTemp("", "boxinit-systemctl") // t.TempDir's parent is root's only
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755))
	sock := filepath.Join(dir, "boxinit.sock")
	l, err := status.Listen(sock)
	require.NoError(t, err)
	defer l.Close()
	link := filepath.Join(dir, "systemctl")
	require.NoError(t, os.Symlink(boxinitBin, link))
	cmd := exec.Command(link, "--socket="+sock, "restart", "nginx")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "%s", out)
	assert.Equal(t, 1, ee.ExitCode())
	assert.Contains(t, string(out), "access denied")
	assert.Contains(t, string(out), "root only")
}

func TestRunsServices_OnASlashWithNoSignOfAContainerOnlyWhenAskedFor(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	inside := false
	old := inContainer
	inContainer = func() bool { return inside }
	t.Cleanup(func() { inContainer = old })
	cfg := &config{services: true, log: log}

	assert.False(t, runsServices(cfg, "/", true), "PID 1 of `unshare --pid` on a host: its tmpfiles.d would empty the host's /tmp")
	assert.True(t, runsServices(cfg, t.TempDir(), true), "a --root of its own is no host's")
	inside = true
	assert.True(t, runsServices(cfg, "/", true), "PID 1 of a container")
	inside = false
	cfg.servicesSet = true
	assert.True(t, runsServices(cfg, "/", true), "--services=true wins")
	assert.False(t, runsServices(&config{services: false, servicesSet: true, log: log}, "/", true))

	// /run/systemd/system: systemd's where boxinit may share a host's
	// root, boxinit's own marker of an earlier run where it is a container's
	// (or a --root tree's) PID 1
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "run/systemd/system"), 0o755))
	assert.False(t, runsServices(cfg, root, false), "a subreaper where systemd runs runs no unit")
	assert.True(t, runsServices(cfg, root, true), "PID 1 of a --root tree: the marker is an earlier run's")
}

func TestInit_AFailedUnitShowsItsExitAndLastLinesInStatusAndBootStillSucceeds(t *testing.T) {
	root := bootTree(t, "")
	dir := filepath.Join(root, "etc/systemd/system")
	wantUnits(t, root, "multi-user.target", "broken.service")
	unit := "[Service]\nExecStart=/bin/sh -c 'for i in 1 2 3 4 5 6 7; do echo line $$i; done; echo cannot open /etc/broken.conf >&2; exit 3'\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "broken.service"), []byte(unit), 0o644))
	sock := filepath.Join(t.TempDir(), "boxinit.sock")
	p := startInit(t, "--root="+root, "--ready-file=/ready", "--socket="+sock, "--services=true")
	waitFile(t, filepath.Join(root, "ready"), 10*time.Second)

	var d status.Document
	eventually(t, 5*time.Second, "broken.service failed", func() bool {
		d = queryJSON(t, sock)
		return len(d.Services) == 1 && d.Services[0].State == "failed"
	})
	assert.Equal(t, "exit 3", d.Services[0].LastExit)
	assert.Equal(t, []string{"line 1", "line 2", "line 3", "line 4", "line 5", "line 6", "line 7", "cannot open /etc/broken.conf"}, d.Services[0].LastLines)
	text, _ := statusCmd(t, sock)
	assert.Contains(t, text, "  broken.service failed: exit 3 (exit-code)\n    line 4\n    line 5\n    line 6\n    line 7\n    cannot open /etc/broken.conf\n")
	assert.Contains(t, text, "state: ready", "boot succeeds with a failed unit, as systemd's")
	out, _, code := systemctlCmd(t, "--socket="+sock, "is-system-running")
	assert.Equal(t, "degraded\n", out)
	assert.Equal(t, 1, code)
	_, errOut, code := systemctlCmd(t, "--socket="+sock, "reset-failed")
	require.Equal(t, 0, code, errOut)
	out, _, _ = systemctlCmd(t, "--socket="+sock, "is-system-running")
	assert.Equal(t, "running\n", out, "reset-failed forgets the failure")
	out, _, _ = systemctlCmd(t, "--socket="+sock, "is-active", "broken")
	assert.Equal(t, "inactive\n", out)

	p.signal(syscall.SIGTERM)
	code, _ = p.wait(15 * time.Second)
	assert.Equal(t, 0, code)
}

func TestInit_ARequiredUnitThatFailsFailsTheBootAndItIsNeverReady(t *testing.T) {
	root := bootTree(t, "")
	dir := filepath.Join(root, "etc/systemd/system")
	wantUnits(t, root, "multi-user.target", "broken.service", "fine.service")
	for name, service := range map[string]string{"broken": "Type=oneshot\nExecStart=/bin/sh -c 'exit 3'", "fine": "ExecStart=/bin/sleep 1000"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+".service"), []byte("[Service]\n"+service+"\n"), 0o644))
	}
	p := startInit(t, "--root="+root, "--ready-file=/ready", "--socket=", "--services=true", "--required-units=fine,broken.service")
	code, _ := p.wait(15 * time.Second)
	assert.Equal(t, 1, code)
	assert.NoFileExists(t, filepath.Join(root, "ready"))
	assert.Contains(t, p.out.String(), "required units not active (--required-units): broken.service (failed, exit 3)")
	assert.NotContains(t, p.out.String(), "fine.service (")

	p = startInit(t, "--root="+root, "--ready-file=/ready", "--socket=", "--services=true", "--required-units=fine")
	waitFile(t, filepath.Join(root, "ready"), 10*time.Second)
	p.signal(syscall.SIGTERM)
	code, _ = p.wait(15 * time.Second)
	assert.Equal(t, 0, code, "broken.service may fail when only fine.service is required")
}

// invoke-rc.d, deb-systemd-invoke and deb-systemd-helper (init-system-helpers
// 1.65.2, Debian 12) ask systemctl these questions, with these flags, when
// /run/systemd/system exists; a wrong answer fails a package's postinst or
// leaves the unit stopped.
func TestSystemctl_AnswersTheQuestionsOfDebiansMaintainerScripts(t *testing.T) {
	marks := t.TempDir()
	root := serviceTree(t, marks)
	sock := filepath.Join(t.TempDir(), "boxinit.sock")
	p := startInit(t, "--root="+root, "--ready-file=/ready", "--socket="+sock, "--services=true")
	waitFile(t, filepath.Join(root, "ready"), 10*time.Second)
	sc := func(args ...string) (string, int) {
		out, errOut, code := systemctlCmd(t, append([]string{"--socket=" + sock}, args...)...)
		return out + errOut, code
	}
	check := func(wantOut string, wantCode int, args ...string) {
		t.Helper()
		out, code := sc(args...)
		assert.Equal(t, wantOut, out, "systemctl %s", strings.Join(args, " "))
		assert.Equal(t, wantCode, code, "systemctl %s: %s", strings.Join(args, " "), out)
	}
	check("", 0, "is-active", "--quiet", "sysinit.target")     // invoke-rc.d: the runlevel is 5
	check("", 0, "--quiet", "is-system-running")               // invoke-rc.d reload: block
	check("", 0, "--quiet", "is-active", "--", "demo.service") // deb-systemd-invoke
	check("enabled\n", 0, "--root="+root, "--system", "is-enabled", "--", "demo.service")
	check("LoadState=loaded\n", 0, "-p", "LoadState", "show", "demo.service")
	check("CanReload=no\n", 0, "-p", "CanReload", "show", "demo.service") // invoke-rc.d force-reload: restart
	check("\n", 0, "show", "--value", "--property", "SourcePath", "demo.service")
	check("LoadState=not-found\n", 0, "-p", "LoadState", "show", "nope.service")
	check("", 0, "--no-legend", "--quiet", "list-units", "user@*") // no user instances
	check("", 0, "--quiet", "--system", "restart", "demo.service")
	eventually(t, 5*time.Second, "restarted", func() bool { return len(lines(t, marks+"/pids")) == 2 })
	out, code := sc("--system", "daemon-reload")
	assert.Equal(t, 0, code, out)
	out, code = sc("status", "--full", "--no-pager", "demo.service")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "Active: active (running)")
	p.signal(syscall.SIGTERM)
	code, _ = p.wait(15 * time.Second)
	assert.Equal(t, 0, code)
}
