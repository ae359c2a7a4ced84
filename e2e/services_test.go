package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// servicesImage is the Debian image with nginx-light and redis-server
// installed by apt from the Debian mirror, no systemd: their units as
// Debian ships them, enabled by deb-systemd-helper through the image's
// systemctl link to boxinit (`systemctl preset`). Nothing is started at
// build time (policy-rc.d). redis listens on every address, so that the
// test reaches it through a published port. Skips when the packages cannot
// be installed.
func servicesImage(t *testing.T) string {
	return aptImage(t, "boxinit-debian-services", []string{"nginx-light", "redis-server"}, redisOnEveryAddress)
}

// redisOnEveryAddress lets the test reach redis through a published port.
const redisOnEveryAddress = `sed -i 's/^bind .*/bind 0.0.0.0/; s/^protected-mode yes/protected-mode no/' /etc/redis/redis.conf`

// serves reports whether nginx answers 200 at addr.
func serves(addr string) bool {
	c := http.Client{Timeout: time.Second}
	r, err := c.Get("http://" + addr + "/")
	if err != nil {
		return false
	}
	r.Body.Close()
	return r.StatusCode == 200
}

// pong reports whether redis answers PING at addr.
func pong(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := io.WriteString(c, "PING\r\n"); err != nil {
		return false
	}
	line, _ := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line) == "+PONG"
}

func within(t *testing.T, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("not within %s: %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

// A VM's services: the image with nginx and redis installed by apt, booted
// by boxinit with no command, unprivileged. Both answer; redis killed -9
// comes back (Restart=always); `systemctl restart nginx` gives a new master
// and it serves; boxinit status lists them; podman stop exits 0 and the
// units stop their way. The times are logged (run with -v), not asserted.
func TestServices_NginxAndRedisFromAptRunRestartAndStopUnprivileged(t *testing.T) {
	img := servicesImage(t)
	out, err := podman(t, "run", "--rm", "--entrypoint", "sh", img, "-c", "readlink /usr/bin/systemctl; ls /etc/systemd/system/multi-user.target.wants")
	require.NoError(t, err, out)
	assert.Contains(t, out, "/sbin/boxinit", "images/debian links systemctl to boxinit")
	assert.Contains(t, out, "nginx.service", "enabled at install (systemctl preset)")
	assert.Contains(t, out, "redis-server.service")

	web, red := freePort(t), freePort(t)
	name := fmt.Sprintf("boxinit-e2e-services-%d", web)
	removeWhenDone(t, name)
	webAddr, redAddr := fmt.Sprintf("127.0.0.1:%d", web), fmt.Sprintf("127.0.0.1:%d", red)
	start := time.Now()
	out, err = podman(t, "run", "-d", "--name", name, "-p", webAddr+":80", "-p", redAddr+":6379",
		"--entrypoint", "/sbin/boxinit", img)
	require.NoError(t, err, out)
	within(t, 60*time.Second, "nginx serves", func() bool { return serves(webAddr) })
	within(t, 10*time.Second, "redis answers", func() bool { return pong(redAddr) })
	t.Logf("measured: podman run to nginx and redis answering: %v", time.Since(start).Round(time.Millisecond))

	sc := func(args ...string) string {
		out, err := podman(t, append([]string{"exec", name, "systemctl"}, args...)...)
		require.NoError(t, err, "systemctl %v: %s", args, out)
		return strings.TrimSpace(out)
	}
	assert.Equal(t, "active", sc("is-active", "redis-server"))
	redisPid := sc("show", "-p", "MainPID", "--value", "redis-server")
	_, err = podman(t, "exec", name, "kill", "-9", redisPid)
	require.NoError(t, err)
	killed := time.Now()
	for pong(redAddr) && time.Since(killed) < time.Second { // the kill takes effect
		time.Sleep(time.Millisecond)
	}
	within(t, 10*time.Second, "redis back after kill -9", func() bool { return pong(redAddr) })
	t.Logf("measured: redis answered again %v after podman exec kill -9 returned (Debian unit: Restart=always, RestartSec= default 100ms)", time.Since(killed).Round(time.Millisecond))
	assert.NotEqual(t, redisPid, sc("show", "-p", "MainPID", "--value", "redis-server"))

	nginxPid := sc("show", "-p", "MainPID", "--value", "nginx")
	sc("restart", "nginx")
	assert.NotEqual(t, nginxPid, sc("show", "-p", "MainPID", "--value", "nginx"), "a new master")
	assert.True(t, serves(webAddr), "nginx serves after the restart")
	assert.Contains(t, sc("status", "nginx"), "Active: active (running)")

	_, err = podman(t, "exec", name, "systemctl", "disable", "--now", "redis-server")
	require.NoError(t, err)
	assert.False(t, pong(redAddr), "disable --now stops it")
	out, err = podman(t, "exec", name, "systemctl", "is-enabled", "redis-server")
	assert.Error(t, err, "is-enabled exits 1 once disabled")
	assert.Equal(t, "disabled", strings.TrimSpace(out))
	out, err = podman(t, "exec", name, "systemctl", "is-active", "redis-server")
	assert.Error(t, err, "is-active exits 3 once stopped")
	assert.Equal(t, "inactive", strings.TrimSpace(out))
	sc("enable", "--now", "redis-server")
	assert.True(t, pong(redAddr), "enable --now starts it")
	assert.Equal(t, "enabled", sc("is-enabled", "redis-server"))

	status, err := podman(t, "exec", name, "boxinit", "status")
	require.NoError(t, err, status)
	t.Logf("boxinit status:\n%s", status)
	assert.Regexp(t, `nginx\.service +active +\d+ +0 `, status)
	assert.Regexp(t, `redis-server\.service +active +\d+ +[01] `, status, "restarts (counted until the stop)")

	// apt-get install in the running container, as on a VM: boxinit made
	// /run/systemd/system, so the postinst's deb-systemd-invoke starts the
	// new unit through systemctl; xinetd ships only an init script, which
	// invoke-rc.d starts as xinetd.service (the unit boxinit generates from
	// it, as systemd-sysv-generator does); apt-get remove stops the unit.
	out, err = podman(t, "exec", name, "test", "-d", "/run/systemd/system")
	assert.NoError(t, err, "the marker Debian's scripts look for: %s", out)
	out, err = podman(t, "exec", "-e", "DEBIAN_FRONTEND=noninteractive", name, "sh", "-c",
		"apt-get update -qq && apt-get install -y -qq --no-install-recommends memcached xinetd 2>&1")
	if err != nil && (strings.Contains(out, "Could not resolve") || strings.Contains(out, "Failed to fetch")) {
		t.Logf("apt-get install in the container could not reach the mirror, not checked: %v\n%s", err, out)
	} else {
		require.NoError(t, err, "apt-get install (the postinsts must succeed): %s", out)
		assert.Equal(t, "enabled", sc("is-enabled", "memcached"))
		assert.Equal(t, "active", sc("is-active", "memcached"), "installing starts it:\n%s", out)
		assert.Equal(t, "active", sc("is-active", "xinetd"), "the init script's unit is started:\n%s", out)
		pg, err := podman(t, "exec", name, "pgrep", "-x", "xinetd")
		assert.NoError(t, err, "xinetd runs: %s", pg)
		assert.Contains(t, sc("show", "-p", "SourcePath", "xinetd"), "SourcePath=/etc/init.d/xinetd")
		out, err = podman(t, "exec", "-e", "DEBIAN_FRONTEND=noninteractive", name, "sh", "-c", "apt-get remove -y -qq xinetd 2>&1")
		require.NoError(t, err, out)
		_, err = podman(t, "exec", name, "pgrep", "-x", "xinetd")
		assert.Error(t, err, "apt-get remove stopped xinetd")
	}

	if mem, err := podman(t, "exec", name, "grep", "-E", "^(VmRSS|RssAnon|VmHWM)", "/proc/1/status"); err == nil {
		t.Logf("measured: PID 1 with nginx, redis and sshd running: %s", strings.Join(strings.Fields(mem), " "))
	}
	stop := time.Now()
	out, err = podman(t, "stop", "-t", "10", name)
	require.NoError(t, err, out)
	t.Logf("measured: podman stop took %v", time.Since(stop).Round(time.Millisecond))
	code, _ := podman(t, "inspect", name, "--format", "{{.State.ExitCode}}")
	assert.Equal(t, "0", strings.TrimSpace(code))
	logs, _ := podman(t, "logs", name)
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "msg=stopped") || strings.Contains(line, "shutting down") {
			t.Logf("measured: %s", line)
		}
	}
	assert.NotContains(t, logs, "grace period over", "every unit stopped its own way in time")
	assert.Regexp(t, `msg=stopped unit=nginx.service`, logs)
	assert.Regexp(t, `msg=stopped unit=redis-server.service`, logs)
	assert.Regexp(t, `msg=stopped unit=memcached.service|could not reach the mirror`, logs+out)
}

// vmImage is servicesImage with postgresql as well (Debian's
// postgresql-common: postgresql.service, the postgresql@.service template
// and the generator that wants postgresql@15-main.service; the cluster is
// made by the postinst). Skips when the packages cannot be installed.
func vmImage(t *testing.T) string {
	return aptImage(t, "boxinit-debian-vm", []string{"nginx-light", "redis-server", "postgresql"}, redisOnEveryAddress)
}

// The "Done means": an image with nginx-light, redis-server and
// postgresql installed by apt, booted by boxinit with no command,
// unprivileged, once with the image's /run and once with /run an empty
// tmpfs: nginx serves, redis answers PONG, postgresql answers a query (its
// instance unit comes from the generator, /run/postgresql from
// tmpfiles.d), sshd runs from ssh.service and the user logs in; `systemctl
// restart nginx` gives a new master; kill -9 of redis brings it back;
// `systemctl stop` stops; podman stop exits 0; a start brings it all back.
// Times and memory are logged (run with -v), not asserted.
func TestServices_NginxRedisPostgresqlAndSSHBootLikeAVMAlsoWithAnEmptyRun(t *testing.T) {
	img := vmImage(t)
	for _, tc := range []struct {
		name  string
		extra []string
	}{{"image-run", nil}, {"tmpfs-run", []string{"--tmpfs", "/run"}}} {
		t.Run(tc.name, func(t *testing.T) { bootLikeAVM(t, img, tc.extra) })
	}
}

func bootLikeAVM(t *testing.T, img string, extra []string) {
	key, pub := sshKey(t)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "rc.env"), []byte(fmt.Sprintf("DEFAULT_USER=\"human\"\nDEFAULT_KEY=\"%s\"\n", pub)), 0o644))
	web, red, sshPort := freePort(t), freePort(t), freePort(t)
	name := fmt.Sprintf("boxinit-e2e-vm-%d", web)
	removeWhenDone(t, name)
	webAddr, redAddr := fmt.Sprintf("127.0.0.1:%d", web), fmt.Sprintf("127.0.0.1:%d", red)
	args := []string{"run", "-d", "--name", name, "-p", webAddr + ":80", "-p", redAddr + ":6379",
		"-p", fmt.Sprintf("127.0.0.1:%d:22", sshPort), "-v", filepath.Join(dir, "rc.env") + ":/etc/rc.env:ro"}
	args = append(append(args, extra...), "--entrypoint", "/sbin/boxinit", img)

	query := func() (string, error) {
		out, err := podman(t, "exec", name, "runuser", "-u", "postgres", "--", "psql", "-tAc", "select 6*7")
		return strings.TrimSpace(out), err
	}
	allAnswer := func(what string, start time.Time) {
		within(t, 60*time.Second, what+": nginx serves", func() bool { return serves(webAddr) })
		within(t, 20*time.Second, what+": redis answers", func() bool { return pong(redAddr) })
		within(t, 20*time.Second, what+": postgresql answers", func() bool { out, err := query(); return err == nil && out == "42" })
		t.Logf("measured (%s): nginx, redis and postgresql answering %v after the command", what, time.Since(start).Round(time.Millisecond))
		var out string
		var err error
		require.Eventually(t, func() bool { out, err = ssh(t, key, sshPort, "id -un"); return err == nil }, 20*time.Second, 200*time.Millisecond, "%s: ssh: %s", what, out)
		lines := strings.Split(strings.TrimSpace(out), "\n") // after ssh's warning about the host key
		assert.Equal(t, "human", strings.TrimSpace(lines[len(lines)-1]), "logged in over ssh.service's sshd")
	}
	start := time.Now()
	out, err := podman(t, args...)
	require.NoError(t, err, out)
	allAnswer("podman run", start)
	waitReady(t, name)

	sc := func(args ...string) string {
		out, err := podman(t, append([]string{"exec", name, "systemctl"}, args...)...)
		require.NoError(t, err, "systemctl %v: %s", args, out)
		return strings.TrimSpace(out)
	}
	assert.Equal(t, "active", sc("is-active", "postgresql@15-main"), "the generator's instance")
	assert.Equal(t, "active", sc("is-active", "ssh"))
	assert.Equal(t, "active", sc("is-active", "nginx"))
	assert.Equal(t, "running", sc("is-system-running"))
	assert.Regexp(t, `(?m)^postgresql@\.service +(disabled|indirect)$`, sc("list-unit-files"))
	out, err = podman(t, "exec", name, "sh", "-c", "command -v journalctl && journalctl -u postgresql@15-main -u ssh -n 5")
	require.NoError(t, err, "journalctl, linked at boot on the image's PATH: %s", out)
	assert.Contains(t, out, "/usr/local/sbin/journalctl")
	t.Logf("journalctl -u postgresql@15-main -u ssh -n 5:\n%s", out)
	_, err = podman(t, "exec", name, "sh", "-c", `printf '[Service]\nExecStart=/bin/sh -c "echo hello from a unit; exec sleep infinity"\n' > /etc/systemd/system/hello.service`)
	require.NoError(t, err)
	sc("daemon-reload")
	sc("start", "hello")
	out, err = podman(t, "exec", name, "journalctl", "-u", "hello", "-o", "cat")
	require.NoError(t, err, out)
	assert.Equal(t, "hello from a unit", strings.TrimSpace(out))

	redisPid := sc("show", "-p", "MainPID", "--value", "redis-server")
	_, err = podman(t, "exec", name, "kill", "-9", redisPid)
	require.NoError(t, err)
	killed := time.Now()
	for pong(redAddr) && time.Since(killed) < time.Second {
		time.Sleep(time.Millisecond)
	}
	within(t, 10*time.Second, "redis back after kill -9", func() bool { return pong(redAddr) })
	t.Logf("measured: redis answered again %v after kill -9", time.Since(killed).Round(time.Millisecond))

	nginxPid := sc("show", "-p", "MainPID", "--value", "nginx")
	sc("restart", "nginx")
	assert.NotEqual(t, nginxPid, sc("show", "-p", "MainPID", "--value", "nginx"), "a new master")
	assert.True(t, serves(webAddr), "nginx serves after the restart")

	sc("stop", "postgresql@15-main")
	_, err = query()
	assert.Error(t, err, "systemctl stop stops postgresql")
	sc("start", "postgresql@15-main")
	within(t, 20*time.Second, "postgresql answers after start", func() bool { out, err := query(); return err == nil && out == "42" })

	status, err := podman(t, "exec", name, "boxinit", "status")
	require.NoError(t, err, status)
	t.Logf("boxinit status:\n%s", status)
	if mem, err := podman(t, "exec", name, "grep", "-E", "^(VmRSS|RssAnon)", "/proc/1/status"); err == nil {
		t.Logf("measured: PID 1 with nginx, redis, postgresql and sshd running: %s", strings.Join(strings.Fields(mem), " "))
	}

	stop := time.Now()
	out, err = podman(t, "stop", "-t", "10", name)
	require.NoError(t, err, out)
	t.Logf("measured: podman stop took %v", time.Since(stop).Round(time.Millisecond))
	code, _ := podman(t, "inspect", name, "--format", "{{.State.ExitCode}}")
	assert.Equal(t, "0", strings.TrimSpace(code))
	logs, _ := podman(t, "logs", name)
	assert.NotContains(t, logs, "grace period over", "every unit stopped its own way in time")

	start = time.Now()
	out, err = podman(t, "start", name)
	require.NoError(t, err, out)
	allAnswer("podman start", start)
}
