package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// timersImage is the Debian image with sysstat installed by apt (its
// timers and its cron.d twin as shipped; e2fsprogs and apt are in the base
// image), plus a user's minute timer and a Persistent daily timer whose
// stamp is a day old, enabled with the image's systemctl (boxinit).
func timersImage(t *testing.T) string {
	return aptImage(t, "boxinit-debian-timers", []string{"sysstat"}, `printf '[Timer]\nOnCalendar=*-*-* *:*:00\nAccuracySec=1s\n\n[Install]\nWantedBy=timers.target\n' > /etc/systemd/system/tick.timer && \
    printf '[Service]\nType=oneshot\nExecStart=/bin/sh -c "date -Iseconds >> /var/log/tick"\n' > /etc/systemd/system/tick.service && \
    printf '[Timer]\nOnCalendar=daily\nPersistent=true\n\n[Install]\nWantedBy=timers.target\n' > /etc/systemd/system/nightly.timer && \
    printf '[Service]\nType=oneshot\nExecStart=/bin/sh -c "date >> /var/log/nightly"\n' > /etc/systemd/system/nightly.service && \
    systemctl enable tick.timer nightly.timer && \
    mkdir -p /var/lib/boxinit/timers && touch -d '-1 day' /var/lib/boxinit/timers/stamp-nightly.timer`)
}

// A Debian container under boxinit runs its timers as a VM would: the
// user's minute timer every minute, a Persistent daily timer missed while
// the container was down once at boot; list-timers shows Debian's timers
// with their next runs. Debian's jobs shipped twice (e2scrub_all's timer
// and its cron.d line) run once: boxinit made /run/systemd/system, so the
// cron.d line skips itself and the timer is armed, as on a Debian VM.
func TestImage_RunsTimersAsAVMWouldEachJobOnce(t *testing.T) {
	img := timersImage(t)
	name := "boxinit-e2e-timers-" + tag
	removeWhenDone(t, name)
	out, err := podman(t, "run", "-d", "--name", name, "--entrypoint", "/sbin/boxinit", img)
	require.NoError(t, err, out)
	read := func(p string) []string {
		out, err := podman(t, "exec", name, "cat", p)
		if err != nil {
			return nil
		}
		return strings.Fields(out)
	}
	within(t, 30*time.Second, "the persistent daily timer ran at boot", func() bool { return len(read("/var/log/nightly")) > 0 })
	within(t, 150*time.Second, "the minute timer ran twice", func() bool { return len(read("/var/log/tick")) >= 2 })
	ticks := read("/var/log/tick")
	seen := map[string]bool{}
	for _, tk := range ticks {
		at, err := time.Parse(time.RFC3339, tk)
		require.NoError(t, err)
		minute := at.Truncate(time.Minute).Format("15:04")
		assert.False(t, seen[minute], "tick ran twice in minute %s: %v", minute, ticks)
		seen[minute] = true
		assert.LessOrEqual(t, at.Second(), 1, "tick ran at %s, not on the minute (AccuracySec=1s)", tk)
	}
	nightly, _ := podman(t, "exec", name, "cat", "/var/log/nightly")
	assert.Equal(t, 1, strings.Count(nightly, "\n"), "the daily timer ran once: %q", nightly)

	out, err = podman(t, "exec", name, "systemctl", "list-timers", "--all")
	require.NoError(t, err, out)
	t.Logf("systemctl list-timers --all:\n%s", out)
	for _, want := range []string{"tick.timer", "nightly.timer", "apt-daily.timer", "apt-daily-upgrade.timer",
		"dpkg-db-backup.timer", "fstrim.timer", "e2scrub_all.timer",
		"sysstat-collect.timer", "sysstat-summary.timer"} { // wanted by the enabled sysstat.service
		assert.Contains(t, out, want)
	}
	out, err = podman(t, "exec", name, "systemctl", "list-timers")
	require.NoError(t, err, out)
	assert.Regexp(t, `(?m)^\w{3} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+ +.* e2scrub_all\.timer +e2scrub_all\.service`, out, "armed, with its next run")
	// the cron.d twin's command, as cron runs it, does nothing
	line, err := podman(t, "exec", name, "sh", "-c", `sed -n 's/^[0-9*,\/-]* [0-9*,\/-]* [0-9*,\/-]* [0-9*,\/-]* [0-9*,\/-]* root //p' /etc/cron.d/e2scrub_all`)
	require.NoError(t, err, line)
	for _, cmd := range strings.Split(strings.TrimSpace(line), "\n") {
		require.Contains(t, cmd, "/run/systemd/system")
		out, err := podman(t, "exec", name, "sh", "-c", strings.Replace(cmd, "SERVICE_MODE=1 ", "echo RAN ", 1))
		assert.NoError(t, err, cmd)
		assert.NotContains(t, out, "RAN", "the cron.d line skips itself: %s", cmd)
	}
	status, err := podman(t, "exec", name, "boxinit", "status")
	require.NoError(t, err, status)
	t.Logf("boxinit status:\n%s", status)
	assert.Contains(t, status, "timers:")
	assert.Regexp(t, `e2scrub_all\.timer +\d\d-\d\d \d\d:\d\d`, status, "the timer runs the job")

	// a timer added in the running container: enable --now arms it
	_, err = podman(t, "exec", name, "sh", "-c", `printf '[Timer]\nOnActiveSec=1h\n\n[Install]\nWantedBy=timers.target\n' > /etc/systemd/system/later.timer && printf '[Service]\nExecStart=/bin/true\n' > /etc/systemd/system/later.service`)
	require.NoError(t, err)
	out, err = podman(t, "exec", name, "systemctl", "enable", "--now", "later.timer")
	require.NoError(t, err, out)
	out, err = podman(t, "exec", name, "systemctl", "is-active", "later.timer")
	assert.NoError(t, err, out)
	assert.Equal(t, "active", strings.TrimSpace(out))
	out, _ = podman(t, "exec", name, "systemctl", "list-timers")
	assert.Regexp(t, `59min left +- +- +later.timer +later.service`, out)
	_, err = podman(t, "exec", name, "systemctl", "stop", "later.timer")
	require.NoError(t, err)
	out, err = podman(t, "exec", name, "systemctl", "is-active", "later.timer")
	assert.Error(t, err, "is-active exits 3 once stopped")
	assert.Equal(t, "inactive", strings.TrimSpace(out))
}
