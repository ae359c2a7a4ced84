package timers

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// LEFT and PASSED as systemd 252's list-timers printed them in
// testdata/systemd-252-container.out. It ran at about 14:31:40.69: the
// persist.timer stamp says its trigger was 14:31:30.653188 ("10s ago"),
// inact.service started at 14:31:39.720 ("971ms ago").
func TestRelative_MatchesSystemd252ListTimers(t *testing.T) {
	now := at("2026-12-02T14:31:40.690Z")
	for when, want := range map[string]string{
		"2026-12-02T14:46:26Z":        "14min left",
		"2026-12-02T20:07:02Z":        "5h 35min left",
		"2026-12-03T00:00:00Z":        "9h left",
		"2026-12-03T06:17:34Z":        "15h left",
		"2026-12-06T03:10:07Z":        "3 days left",
		"2026-12-09T17:34:23Z":        "1 week 0 days left",
		"2026-12-12T14:39:37Z":        "1 week 3 days left",
		"2026-12-02T14:31:30.653188Z": "10s ago",
		"2026-12-02T14:31:39.719Z":    "971ms ago",
	} {
		require.Equal(t, want, Relative(at(when), now), when)
	}
	require.Equal(t, "1 day 2h left", Relative(now.Add(26*time.Hour+time.Minute), now))
	require.Equal(t, "2min 5s left", Relative(now.Add(125*time.Second), now))
	require.Equal(t, "1h 1min ago", Relative(now.Add(-61*time.Minute), now))
	require.Equal(t, "1 month 0 days left", Relative(now.Add(31*24*time.Hour), now))
	require.Equal(t, "2 years 0 months left", Relative(now.Add(2*365*24*time.Hour+24*time.Hour), now))
	require.Equal(t, "now", Relative(now, now))
}

func TestNextElapse_CarriesTheMonotonicElapseOverToTheWallClock(t *testing.T) {
	clk := &fakeClock{real: at("2026-12-02T14:31:26.360395Z"), mono: 2521346624 * time.Microsecond}
	env := newEnv(t, clk)
	tm, err := New(Config{Name: "systemd-tmpfiles-clean.timer", OnBoot: []time.Duration{15 * time.Minute}, OnUnitActive: []time.Duration{24 * time.Hour}, RemainAfterElapse: true}, env)
	require.NoError(t, err)
	require.NoError(t, tm.Start(clk.now(), Unit{}))
	clk.advance(14 * time.Second)
	next, ok := tm.NextElapse(clk.now())
	require.True(t, ok)
	require.Equal(t, "2026-12-02 14:46:26", next.UTC().Format(time.DateTime), "as list-timers showed it")
}
