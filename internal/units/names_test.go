package units

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseName_SplitsPrefixInstanceAndType(t *testing.T) {
	n, err := ParseName("postgresql@15-main.service")
	require.NoError(t, err)
	assert.Equal(t, Name{Full: "postgresql@15-main.service", Prefix: "postgresql", Instance: "15-main", Type: "service"}, n)
	assert.Equal(t, "postgresql@.service", n.TemplateName())

	n, err = ParseName("getty@.service")
	require.NoError(t, err)
	assert.True(t, n.Template)
	assert.Equal(t, "getty@tty1.service", Instantiate(n, "tty1"))

	for _, bad := range []string{"", "nginx", "nginx.conf", "a@b@c.service", "@x.service", "bad name.service", "x/y.service"} {
		_, err := ParseName(bad)
		assert.Error(t, err, bad)
	}
}

func TestSpecifiers_ResolveAsSystemdUnit5Lists(t *testing.T) {
	n, err := ParseName(`postgresql@15-main.service`)
	require.NoError(t, err)
	sp := &specifiers{name: n, fragment: "/lib/systemd/system/postgresql@.service", host: Host{Hostname: "box.example.org", MachineID: "abc"}}
	for in, want := range map[string]string{
		"%i":                     "15-main",
		"%I":                     "15/main",
		"%n":                     "postgresql@15-main.service",
		"%N":                     "postgresql@15-main",
		"%p":                     "postgresql",
		"%j":                     "postgresql",
		"%f":                     "/15/main",
		"/run/postgresql/%i.pid": "/run/postgresql/15-main.pid",
		"%h %u %U %g %s":         "/root root 0 root /bin/sh",
		"%t %S %C %L %E %T %V":   "/run /var/lib /var/cache /var/log /etc /tmp /var/tmp",
		"%H %l %m":               "box.example.org box abc",
		"%y %Y":                  "/lib/systemd/system/postgresql@.service /lib/systemd/system",
		"100%%":                  "100%",
		"end%":                   "end%",
	} {
		got, err := sp.expand(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err = sp.expand("%Z")
	assert.ErrorContains(t, err, "%Z")

	n, _ = ParseName(`systemd-fsck@dev-disk-by\x2dlabel-root.service`)
	sp = &specifiers{name: n}
	got, err := sp.expand("%I %j %J %P")
	require.NoError(t, err)
	assert.Equal(t, "dev/disk/by-label/root fsck fsck systemd/fsck", got)
}

func TestParseDuration_ReadsSystemdTimeSpans(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"90":       90 * time.Second,
		"1.5":      1500 * time.Millisecond,
		"5s":       5 * time.Second,
		"100ms":    100 * time.Millisecond,
		"1min 30s": 90 * time.Second,
		"2h30m":    150 * time.Minute,
		"1h":       time.Hour,
		"1 d":      24 * time.Hour,
		"3 weeks":  21 * 24 * time.Hour,
		"0":        0,
		"50us":     50 * time.Microsecond,
		"infinity": Infinity,
		" 5 sec ":  5 * time.Second,
		"1y":       time.Duration(365.25 * 24 * float64(time.Hour)),
	} {
		got, err := ParseDuration(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "5x", "s", "-1s", "1..2s"} {
		_, err := ParseDuration(bad)
		assert.Error(t, err, bad)
	}
}

func TestHostSpecifiers_RefuseTheOnesThatNameAUnit(t *testing.T) {
	exp := HostSpecifiers(Host{Hostname: "box", MachineID: "abc"})
	got, err := exp("/run/%H/%m/%t/100%%")
	require.NoError(t, err)
	assert.Equal(t, "/run/box/abc//run/100%", got)
	_, err = exp("/run/%i")
	assert.ErrorContains(t, err, "%i names a unit")
}
