package timers

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxinit/boxinit/internal/calendar"
)

// readTimerSection is a test-only reader of a unit file's [Timer] lines
// (the real one is the unit loader's).
func readTimerSection(t *testing.T, path string) []Setting {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []Setting
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[':
			section = strings.Trim(line, "[]")
		case section == "Timer":
			k, v, _ := strings.Cut(line, "=")
			out = append(out, Setting{File: path, Line: n, Key: strings.TrimSpace(k), Value: strings.TrimSpace(v)})
		}
	}
	require.NoError(t, sc.Err())
	return out
}

// duration reads the spans Debian's timers use ("60m", "12h", "6000",
// "1h", "60"); the unit loader passes its full reader.
func duration(s string) (time.Duration, error) {
	if n, err := strconv.Atoi(s); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	return time.ParseDuration(s)
}

func TestParseSection_DebianTimersAsShipped(t *testing.T) {
	dir := "../../testdata/calendar/debian"
	want := map[string]struct {
		calendar   []string
		random     time.Duration
		accuracy   time.Duration
		persistent bool
	}{
		"apt-daily.timer":         {[]string{"*-*-* 06,18:00:00"}, 12 * time.Hour, time.Minute, true},
		"apt-daily-upgrade.timer": {[]string{"*-*-* 06:00:00"}, 60 * time.Minute, time.Minute, true},
		"dpkg-db-backup.timer":    {[]string{"*-*-* 00:00:00"}, 0, time.Minute, false},
		"e2scrub_all.timer":       {[]string{"Sun *-*-* 03:10:00"}, time.Minute, time.Minute, true},
		"fstrim.timer":            {[]string{"Mon *-*-* 00:00:00"}, 6000 * time.Second, time.Hour, true},
		"logrotate.timer":         {[]string{"*-*-* 00:00:00"}, 0, time.Hour, true},
		"man-db.timer":            {[]string{"*-*-* 00:00:00"}, 12 * time.Hour, time.Minute, true},
		"sysstat-collect.timer":   {[]string{"*-*-* *:00/10:00"}, 0, time.Minute, false},
		"sysstat-summary.timer":   {[]string{"*-*-* 00:07:00"}, 0, time.Minute, false},
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.timer"))
	require.NoError(t, err)
	require.Len(t, files, len(want))
	for _, f := range files {
		name := filepath.Base(f)
		s, problems := ParseSection(name, readTimerSection(t, f), duration, calendar.Parser{})
		require.Empty(t, problems, name)
		w := want[name]
		var got []string
		for _, c := range s.Config.OnCalendar {
			got = append(got, c.String())
		}
		require.Equal(t, w.calendar, got, name)
		require.Equal(t, w.random, s.Config.RandomizedDelay, name)
		require.Equal(t, w.accuracy, s.Config.Accuracy, name)
		require.Equal(t, w.persistent, s.Config.Persistent, name)
		require.Equal(t, strings.TrimSuffix(name, ".timer")+".service", s.Unit, name)
		_, err := New(s.Config, &Env{})
		require.NoError(t, err, name)
	}
}

// As systemd 252 logged for the same file: each bad line is named and left
// out, the rest of the timer stands.
func TestParseSection_BadLinesAreNamedAndLeftOut(t *testing.T) {
	settings := []Setting{
		{"bad.timer", 2, "OnCalendar", "bogus"},
		{"bad.timer", 3, "OnCalendar", "daily"},
		{"bad.timer", 4, "FooBar", "1"},
		{"bad.timer", 5, "Persistent", "maybe"},
		{"bad.timer", 6, "Unit", "../etc.service"},
		{"bad.timer", 7, "OnBootSec", "soon"},
	}
	s, problems := ParseSection("bad.timer", settings, duration, calendar.Parser{})
	var lines []string
	for _, p := range problems {
		lines = append(lines, p.Error())
	}
	require.Len(t, lines, 5)
	require.Contains(t, lines[0], `bad.timer:2: OnCalendar=bogus: calendar event "bogus"`)
	require.Equal(t, "bad.timer:4: FooBar=1: unknown setting in [Timer]", lines[1])
	require.Equal(t, `bad.timer:5: Persistent=maybe: "maybe" is not a boolean`, lines[2])
	require.Equal(t, "bad.timer:6: Unit=../etc.service: not a unit a timer can activate", lines[3])
	require.Contains(t, lines[4], "bad.timer:7: OnBootSec=soon: ")
	require.Len(t, s.Config.OnCalendar, 1)
	require.Equal(t, "*-*-* 00:00:00", s.Config.OnCalendar[0].String())
	require.False(t, s.Config.Persistent)
}

func TestParseSection_EmptyValueClearsEveryTimerValue(t *testing.T) {
	s, problems := ParseSection("x.timer", []Setting{
		{"x.timer", 1, "OnCalendar", "daily"},
		{"x.timer", 2, "OnBootSec", "15m"},
		{"x.timer.d/override.conf", 2, "OnCalendar", ""},
		{"x.timer.d/override.conf", 3, "OnCalendar", "weekly"},
		{"x.timer.d/override.conf", 4, "AccuracySec", "0"},
		{"x.timer.d/override.conf", 5, "Unit", "other.service"},
	}, duration, calendar.Parser{})
	require.Empty(t, problems)
	require.Len(t, s.Config.OnCalendar, 1)
	require.Equal(t, "Mon *-*-* 00:00:00", s.Config.OnCalendar[0].String())
	require.Empty(t, s.Config.OnBoot)
	require.Equal(t, 250*time.Millisecond, s.Config.Accuracy, "AccuracySec=0 is the event loop's 250 ms")
	require.Equal(t, "other.service", s.Unit)
}

func TestParseSection_TimerWithoutValuesIsRefused(t *testing.T) {
	_, problems := ParseSection("x.timer", []Setting{{"x.timer", 3, "OnCalendar", "bogus"}}, duration, calendar.Parser{})
	require.Len(t, problems, 2)
	require.Contains(t, problems[1].Error(), "x.timer: timer x.timer: no OnCalendar=")
}
