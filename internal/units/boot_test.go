package units

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func names(jobs []*Job) []string {
	var out []string
	for _, j := range jobs {
		out = append(out, j.Unit.Name)
	}
	return out
}

func index(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

func TestBoot_StartsWhatTheDebianPackagesEnabled(t *testing.T) {
	l := debianLoader(t)
	plan, err := l.Boot(BootOptions{Skip: func(u *Unit) string {
		if u.Name == "cron.service" {
			return "boxinit runs cron itself"
		}
		return ""
	}})
	require.NoError(t, err)
	got := names(plan.Jobs)
	for _, want := range []string{"nginx.service", "redis-server.service", "ssh.service", "postgresql.service",
		"postgresql@15-main.service", "mariadb.service", "php8.2-fpm.service", "apache2.service", "rsyslog.service",
		"e2scrub_reap.service", "apt-daily.timer", "logrotate.timer", "multi-user.target", "timers.target"} {
		assert.Contains(t, got, want)
	}
	assert.NotContains(t, got, "cron.service")
	assert.NotContains(t, got, "redis.service", "an alias is the same unit, started once")
	assert.Contains(t, plan.Skipped, Skip{Name: "cron.service", By: "multi-user.target", Reason: "boxinit runs cron itself"})
	assert.Contains(t, plan.Skipped, Skip{Name: "syslog.socket", By: "rsyslog.service", Reason: "not found"})
	assert.Empty(t, plan.Cycles)

	// postgresql@.service has Before=postgresql.service; services come after
	// basic.target; multi-user.target after everything it wants.
	pos := func(n string) int { return index(got, n) }
	assert.Less(t, pos("postgresql@15-main.service"), pos("postgresql.service"))
	assert.Less(t, pos("basic.target"), pos("nginx.service"))
	assert.Less(t, pos("nginx.service"), pos("multi-user.target"))
	assert.Less(t, pos("apt-daily.timer"), pos("timers.target"))
	assert.Less(t, pos("apt-daily.timer"), pos("apt-daily-upgrade.timer"), "apt-daily-upgrade.timer has After=apt-daily.timer")
	assert.Contains(t, plan.Job("postgresql.service").After, "postgresql@15-main.service")
	assert.Contains(t, plan.Job("nginx.service").After, "network-online.target")
	assert.True(t, plan.Job("multi-user.target").Essential)
	assert.False(t, plan.Job("nginx.service").Essential)
	assert.Empty(t, plan.Job("rsyslog.service").Missing, "a socket unit boxinit does not run is no missing requirement")
}

func TestBoot_MasksMissingRequirementsAndUnsupportedTypes(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{
		"lib/systemd/system/a.service":                                      "[Unit]\nRequires=gone.service\n[Service]\nExecStart=/bin/a\n",
		"lib/systemd/system/m.service":                                      "[Service]\nExecStart=/bin/m\n",
		"lib/systemd/system/s.socket":                                       "[Socket]\nListenStream=80\n",
		"lib/systemd/system/systemd-logind.service":                         "[Service]\nExecStart=/lib/systemd/systemd-logind\n",
		"etc/systemd/system/m.service":                                      "->/dev/null",
		"etc/systemd/system/multi-user.target.wants/a.service":              "->/lib/systemd/system/a.service",
		"etc/systemd/system/multi-user.target.wants/m.service":              "->/lib/systemd/system/m.service",
		"etc/systemd/system/multi-user.target.wants/s.socket":               "->/lib/systemd/system/s.socket",
		"etc/systemd/system/multi-user.target.wants/systemd-logind.service": "->/lib/systemd/system/systemd-logind.service",
		"etc/systemd/system/multi-user.target.wants/nothere.service":        "->/lib/systemd/system/nothere.service",
	})
	l, err := NewLoader(root)
	require.NoError(t, err)
	plan, err := l.Boot(BootOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{"gone.service"}, plan.Job("a.service").Missing)
	assert.Equal(t, []Skip{
		{Name: "gone.service", By: "a.service", Reason: "not found"},
		{Name: "m.service", By: "multi-user.target", Reason: "masked"},
		{Name: "nothere.service", By: "multi-user.target", Reason: "not found"},
		{Name: "s.socket", By: "multi-user.target", Reason: "socket activation is not supported"},
		{Name: "systemd-logind.service", By: "multi-user.target", Reason: "one of systemd's own units"},
	}, plan.Skipped)
}

func TestBoot_BreaksAnOrderingCycleByDroppingAUnitOnlyWanted(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{
		"lib/systemd/system/a.service":                         "[Unit]\nAfter=b.service\n[Service]\nExecStart=/bin/a\n",
		"lib/systemd/system/b.service":                         "[Unit]\nAfter=c.service\n[Service]\nExecStart=/bin/b\n",
		"lib/systemd/system/c.service":                         "[Unit]\nAfter=a.service\n[Service]\nExecStart=/bin/c\n",
		"lib/systemd/system/d.service":                         "[Unit]\nRequires=c.service\n[Service]\nExecStart=/bin/d\n",
		"etc/systemd/system/multi-user.target.wants/a.service": "->/lib/systemd/system/a.service",
		"etc/systemd/system/multi-user.target.wants/b.service": "->/lib/systemd/system/b.service",
		"etc/systemd/system/multi-user.target.wants/c.service": "->/lib/systemd/system/c.service",
		"etc/systemd/system/multi-user.target.wants/d.service": "->/lib/systemd/system/d.service",
	})
	l, err := NewLoader(root)
	require.NoError(t, err)
	plan, err := l.Boot(BootOptions{})
	require.NoError(t, err)
	require.Len(t, plan.Cycles, 1)
	assert.Equal(t, "ordering cycle a.service → b.service → c.service → a.service: c.service not started to break it", plan.Cycles[0])
	got := names(plan.Jobs)
	assert.Contains(t, got, "a.service")
	assert.Contains(t, got, "b.service")
	assert.NotContains(t, got, "c.service")
	assert.NotContains(t, got, "d.service", "a unit that requires the dropped one goes too")
	assert.Less(t, index(got, "b.service"), index(got, "a.service"))
}

func TestBoot_ACycleOfRequiredUnitsLosesOneOrderingInstead(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{
		"lib/systemd/system/a.service":                            "[Unit]\nRequires=b.service\nAfter=b.service\n[Service]\nExecStart=/bin/a\n",
		"lib/systemd/system/b.service":                            "[Unit]\nAfter=a.service\n[Service]\nExecStart=/bin/b\n",
		"etc/systemd/system/multi-user.target.requires/a.service": "->/lib/systemd/system/a.service",
	})
	l, err := NewLoader(root)
	require.NoError(t, err)
	plan, err := l.Boot(BootOptions{})
	require.NoError(t, err)
	require.Len(t, plan.Cycles, 1)
	assert.Contains(t, plan.Cycles[0], "a.service → b.service → a.service: every unit in it is required")
	assert.Contains(t, names(plan.Jobs), "a.service")
	assert.Contains(t, names(plan.Jobs), "b.service")
	assert.True(t, plan.Job("b.service").Essential)
}
