package calendar

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := loadZone("/", name)
	require.NoError(t, err)
	return loc
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// elapses lists the next n elapses after base, in UTC RFC 3339.
func elapses(t *testing.T, expr string, base time.Time, n int) []string {
	t.Helper()
	s, err := Parse(expr)
	require.NoError(t, err)
	var out []string
	for at := base; len(out) < n; {
		next, ok := s.Next(at)
		if !ok {
			out = append(out, "never")
			break
		}
		out = append(out, next.UTC().Format(time.RFC3339Nano))
		at = next
	}
	return out
}

func TestParse_ErrorNamesTheExpressionAndTheComponent(t *testing.T) {
	cases := []struct{ expr, component, reason string }{
		{"Funday", "weekday", `"Funday" is not a weekday`},
		{"Fri..Mon", "weekday", "range Fri..Mon goes backwards (weeks start on Monday)"},
		{"Mon..", "weekday", "range without an end"},
		{"Mon *-*-* 25:00", "hour", "25: out of range 0..23"},
		{"*-*-* 23:60", "minute", "60: out of range 0..59"},
		{"*-*-* 23:59:61", "second", "61: out of range 0..59"},
		{"*-13-01", "month", "13: out of range 1..12"},
		{"*-*-32", "day", "32: out of range 1..31"},
		{"2200-01-01", "year", "2200: out of range 1970..2199"},
		{"*-*~29", "day", "29: out of range 1..28"},
		{"*-*-1/0", "day", "repetition /0"},
		{"*-*-5..1", "day", "05..01: the range ends before its first repetition"},
		{"*-*-* 1:2:3.", "second", "expected digits after the decimal point"},
		{"*-*-* 12:00:00:00", "second", `unexpected ":00"`},
		{"", "", "empty"},
	}
	for _, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			_, err := Parse(c.expr)
			var perr *Error
			require.True(t, errors.As(err, &perr), "%v", err)
			require.Equal(t, c.expr, perr.Expr)
			require.Equal(t, c.component, perr.Component)
			require.Equal(t, c.reason, perr.Reason)
			require.Contains(t, err.Error(), `"`+c.expr+`"`)
		})
	}
}

func TestParse_DebianTimerValuesReadAsSystemdNormalizesThem(t *testing.T) {
	for expr, want := range map[string]string{
		"*-*-* 6,18:00":      "*-*-* 06,18:00:00",  // apt-daily.timer
		"*-*-* 6:00":         "*-*-* 06:00:00",     // apt-daily-upgrade.timer
		"Sun *-*-* 03:10:00": "Sun *-*-* 03:10:00", // e2scrub_all.timer
		"*:00/10":            "*-*-* *:00/10:00",   // sysstat-collect.timer
		"00:07:00":           "*-*-* 00:07:00",     // sysstat-summary.timer
		"weekly":             "Mon *-*-* 00:00:00",
	} {
		require.Equal(t, want, MustParse(expr).String(), expr)
	}
}

// Spring forward in Europe/Berlin on 2026-03-29: 02:00 CET becomes 03:00
// CEST. A daily 02:30 timer does not run that day; an hourly one skips
// 02:30 (cron would run the daily job once at 03:00).
func TestNext_BerlinSpringForwardSkipsTheMissingWallTime(t *testing.T) {
	berlin := mustZone(t, "Europe/Berlin")
	base := utc("2026-03-28T12:00:00Z").In(berlin)
	require.Equal(t, []string{"2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z"}, elapses(t, "*-*-* 02:30", base, 2))
	require.Equal(t, []string{"2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z", "2026-03-29T02:30:00Z"},
		elapses(t, "*:30", utc("2026-03-28T23:45:00Z").In(berlin), 3))
	require.Equal(t, []string{"never"}, elapses(t, "2026-03-29 02:30 Europe/Berlin", base, 1))
}

// Fall back in Europe/Berlin on 2026-10-25: 03:00 CEST becomes 02:00 CET,
// so 02:00-02:59 happens twice. systemd runs only the first pass, even a
// timer of every minute.
func TestNext_BerlinFallBackRunsOnlyTheFirstPassOfTheRepeatedHour(t *testing.T) {
	berlin := mustZone(t, "Europe/Berlin")
	require.Equal(t, []string{"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"},
		elapses(t, "*-*-* 02:30", utc("2026-10-24T12:00:00Z").In(berlin), 2))
	require.Equal(t, []string{"2026-10-25T00:59:00Z", "2026-10-25T02:00:00Z"},
		elapses(t, "*:*:00", utc("2026-10-25T00:58:00Z").In(berlin), 2))
}

// A base time in the second pass (02:30 CET) continues in the second pass,
// as glibc's mktime remembers the offset of its last answer.
func TestNext_BaseInTheSecondPassOfTheRepeatedHourStaysInIt(t *testing.T) {
	berlin := mustZone(t, "Europe/Berlin")
	require.Equal(t, []string{"2026-10-25T01:31:00Z"}, elapses(t, "*:*:00", utc("2026-10-25T01:30:00Z").In(berlin), 1))
}

// America/New_York: 2026-03-08 02:00 EST → 03:00 EDT, 2026-11-01 02:00 EDT
// → 01:00 EST.
func TestNext_NewYorkSkipsTheGapAndTheSecondPass(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	require.Equal(t, []string{"2026-03-07T07:30:00Z", "2026-03-09T06:30:00Z"},
		elapses(t, "*-*-* 02:30", utc("2026-03-07T00:00:00Z").In(ny), 2))
	require.Equal(t, []string{"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"},
		elapses(t, "*-*-* 01:30", utc("2026-11-01T00:00:00Z").In(ny), 2))
}

func TestNext_ZoneSuffixWinsOverTheLocationOfTheBase(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	next, ok := MustParse("*-*-* 09:00 Europe/Berlin").Next(utc("2026-03-01T00:00:00Z").In(ny))
	require.True(t, ok)
	require.Equal(t, "2026-03-01T08:00:00Z", next.UTC().Format(time.RFC3339))
	require.Equal(t, ny, next.Location(), "the result is in the base's location")
}

func TestNext_FractionalSecondsKeepMicroseconds(t *testing.T) {
	require.Equal(t, []string{"2026-03-01T00:00:01.5Z", "2026-03-01T00:01:01.5Z"},
		elapses(t, "*:*:1.5", utc("2026-03-01T00:00:00Z"), 2))
	require.Equal(t, []string{"2026-03-01T00:00:00.5Z", "2026-03-01T00:00:01Z", "2026-03-01T00:00:01.5Z"},
		elapses(t, "*:*:0/0.5", utc("2026-03-01T00:00:00Z"), 3))
}

func TestNext_IsStrictlyAfterTheBase(t *testing.T) {
	s := MustParse("*-*-* 12:00:00 UTC")
	at := utc("2026-03-01T12:00:00Z")
	next, ok := s.Next(at)
	require.True(t, ok)
	require.Equal(t, at.Add(24*time.Hour), next)
	next, _ = s.Next(at.Add(-time.Nanosecond))
	require.Equal(t, at, next, "a base a nanosecond earlier gets the same second")
}

func TestNext_LastDayOfMonthFollowsLeapYears(t *testing.T) {
	require.Equal(t, []string{"2027-02-28T00:00:00Z", "2028-02-29T00:00:00Z"},
		elapses(t, "*-02~01 UTC", utc("2026-03-01T00:00:00Z"), 2))
	require.Equal(t, []string{"2026-05-25T00:00:00Z", "2027-05-31T00:00:00Z"},
		elapses(t, "Mon *-05~07/1 UTC", utc("2026-03-01T00:00:00Z"), 2), "the last Monday of May")
}

func TestParser_ReadsZonesUnderItsRoot(t *testing.T) {
	data, err := os.ReadFile("/usr/share/zoneinfo/Asia/Kolkata")
	if err != nil {
		t.Skip("no /usr/share/zoneinfo on this machine")
	}
	root := t.TempDir()
	dir := filepath.Join(root, zoneDir, "Test")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Kolkata"), data, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Junk"), []byte("not a zone"), 0o644))

	s, err := Parser{Root: root}.Parse("*-*-* 09:00 Test/Kolkata")
	require.NoError(t, err)
	require.Equal(t, "*-*-* 09:00:00 Test/Kolkata", s.String())
	next, _ := s.Next(utc("2026-03-01T00:00:00Z"))
	require.Equal(t, "2026-03-01T03:30:00Z", next.UTC().Format(time.RFC3339))

	_, err = Parser{Root: root}.Parse("*-*-* 09:00 Europe/Berlin")
	require.Error(t, err, "the host's zones are not the root's")

	// A symlink inside the zone directory is followed within the root;
	// one leading out of it is not.
	require.NoError(t, os.Symlink("Kolkata", filepath.Join(dir, "Alias")))
	_, err = Parser{Root: root}.Parse("*-*-* 09:00 Test/Alias")
	require.NoError(t, err)
	require.NoError(t, os.Symlink("/usr/share/zoneinfo/Asia/Kolkata", filepath.Join(dir, "Outside")))
	_, err = Parser{Root: root}.Parse("*-*-* 09:00 Test/Outside")
	require.Error(t, err, "an absolute symlink leaves the root")
	_, err = Parser{Root: root}.Parse("*-*-* 09:00 Test/Junk")
	require.Error(t, err, "a file that is not TZif is no zone")
}

func TestParse_ZoneNamesCannotLeaveTheZoneDirectory(t *testing.T) {
	for _, name := range []string{"../../../etc/localtime", "/etc/localtime", "Europe/../Europe/Berlin", "Local", "Europe//Berlin"} {
		_, err := Parse("daily " + name)
		require.Error(t, err, name)
	}
}
