package timers

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxinit/boxinit/internal/calendar"
)

// fakeClock is a wall clock and a monotonic one that move together unless
// a test steps the wall clock.
type fakeClock struct {
	real time.Time
	mono time.Duration
}

func (c *fakeClock) now() Dual { return Dual{Real: c.real, Mono: c.mono} }

func (c *fakeClock) advance(d time.Duration) {
	c.real = c.real.Add(d)
	c.mono += d
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func specs(t *testing.T, exprs ...string) []*calendar.Spec {
	t.Helper()
	var out []*calendar.Spec
	for _, e := range exprs {
		s, err := calendar.Parse(e)
		require.NoError(t, err)
		out = append(out, s)
	}
	return out
}

func machineID(t *testing.T, s string) [16]byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	var id [16]byte
	copy(id[:], b)
	return id
}

// newEnv is boxinit started at clk's time, with stamps in a temporary root.
func newEnv(t *testing.T, clk *fakeClock) *Env {
	return &Env{Root: t.TempDir(), Startup: clk.now(), Random: func() uint64 { return 0 }}
}

// The values below were read from systemd 252 (Debian 12) running as init
// in a podman container with this machine id: `systemctl list-timers` for
// timers with OnCalendar=*-*-* 00:00:00 UTC, RandomizedDelaySec=2^40us,
// FixedRandomDelay=true, started on 2026-12-02 at 14:18 UTC.
func TestTimer_FixedRandomDelayIsTheDelaySystemd252Computes(t *testing.T) {
	clk := &fakeClock{real: at("2026-12-02T14:18:32Z"), mono: 29 * time.Minute}
	env := newEnv(t, clk)
	env.MachineID = machineID(t, "c540fe0bed614f9cb826adb97a8de6c6")
	env.Random = func() uint64 { panic("FixedRandomDelay= must not draw") }
	for name, want := range map[string]string{
		"fixed.timer":      "2026-12-09T17:34:23Z",
		"other-name.timer": "2026-12-12T14:39:37Z",
	} {
		tm, err := New(Config{
			Name: name, OnCalendar: specs(t, "*-*-* 00:00:00 UTC"),
			RandomizedDelay: (1 << 40) * time.Microsecond, FixedRandomDelay: true, RemainAfterElapse: true,
		}, env)
		require.NoError(t, err)
		require.NoError(t, tm.Start(clk.now(), Unit{}))
		next, _, _ := tm.Next()
		require.Equal(t, want, next.UTC().Truncate(time.Second).Format(time.RFC3339), name)
	}
}

func TestTimer_RandomizedDelayIsADrawModuloTheLimit(t *testing.T) {
	clk := &fakeClock{real: at("2026-03-01T10:00:00Z"), mono: time.Minute}
	env := newEnv(t, clk)
	env.Random = func() uint64 { return uint64(12*time.Hour/time.Microsecond) + 42 }
	tm, err := New(Config{Name: "apt-daily.timer", OnCalendar: specs(t, "*-*-* 6,18:00 UTC"), RandomizedDelay: 12 * time.Hour}, env)
	require.NoError(t, err)
	require.NoError(t, tm.Start(clk.now(), Unit{}))
	next, _, _ := tm.Next()
	require.Equal(t, at("2026-03-01T18:00:00.000042Z"), next.UTC())
}

// systemd 252 in the same container: a daily Persistent timer whose stamp
// was two days old ran the moment it was started and touched its stamp; one
// without a stamp got a stamp and waited for midnight.
func TestTimer_PersistentStampFromADayAgoRunsOnceAtStart(t *testing.T) {
	clk := &fakeClock{real: at("2026-12-02T14:18:52Z"), mono: 30 * time.Minute}
	env := newEnv(t, clk)
	require.NoError(t, TouchStamp(env.Root, "persist.timer", at("2026-11-30T10:00:00Z")))
	tm, err := New(Config{Name: "persist.timer", OnCalendar: specs(t, "daily UTC"), Persistent: true, RemainAfterElapse: true}, env)
	require.NoError(t, err)

	require.NoError(t, tm.Start(clk.now(), Unit{}))
	require.True(t, tm.Due(clk.now()), "the missed run is due at once")
	ran, err := tm.Elapse(clk.now())
	require.NoError(t, err)
	require.True(t, ran)
	last, ok, err := ReadStamp(env.Root, "persist.timer")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, clk.real, last.UTC(), "the stamp is the trigger")

	clk.advance(2 * time.Second) // the service ran
	require.False(t, tm.Due(clk.now()), "no second run while the unit runs")
	tm.UnitChanged(clk.now(), Unit{Activated: 30 * time.Minute, Deactivated: clk.mono}, false)
	require.Equal(t, Waiting, tm.State())
	next, _, _ := tm.Next()
	require.Equal(t, at("2026-12-03T00:00:00Z"), next.UTC())
	require.False(t, tm.Due(clk.now()))
}

func TestTimer_PersistentWithoutStampWritesOneAndWaits(t *testing.T) {
	clk := &fakeClock{real: at("2026-12-02T14:18:52Z"), mono: 30 * time.Minute}
	env := newEnv(t, clk)
	tm, err := New(Config{Name: "fresh.timer", OnCalendar: specs(t, "daily UTC"), Persistent: true}, env)
	require.NoError(t, err)
	require.NoError(t, tm.Start(clk.now(), Unit{}))
	require.False(t, tm.Due(clk.now()))
	next, _, _ := tm.Next()
	require.Equal(t, at("2026-12-03T00:00:00Z"), next.UTC())
	last, ok, err := ReadStamp(env.Root, "fresh.timer")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, clk.real, last.UTC())
}

func TestTimer_PersistentStampInTheFutureIsNotUsed(t *testing.T) {
	clk := &fakeClock{real: at("2026-12-02T14:00:00Z"), mono: time.Minute}
	env := newEnv(t, clk)
	require.NoError(t, TouchStamp(env.Root, "x.timer", at("2027-01-01T00:00:00Z")))
	tm, err := New(Config{Name: "x.timer", OnCalendar: specs(t, "daily UTC"), Persistent: true}, env)
	require.NoError(t, err)
	require.ErrorContains(t, tm.Start(clk.now(), Unit{}), "in the future")
	next, _, _ := tm.Next()
	require.Equal(t, at("2026-12-03T00:00:00Z"), next.UTC(), "planned from now")
}

// systemd-tmpfiles-clean.timer: OnBootSec=15min, OnUnitActiveSec=1d. In
// the container systemd 252 planned it at 44min7.519136s on the monotonic
// clock: 15 minutes after its own start at 29min7.519136s, not after the
// host's boot.
func TestTimer_OnBootSecCountsFromBoxinitStartAsInAContainer(t *testing.T) {
	clk := &fakeClock{real: at("2026-12-02T14:18:32.532907Z"), mono: 29*time.Minute + 7519136*time.Microsecond}
	env := newEnv(t, clk)
	tm, err := New(Config{Name: "systemd-tmpfiles-clean.timer", OnBoot: []time.Duration{15 * time.Minute}, OnUnitActive: []time.Duration{24 * time.Hour}, RemainAfterElapse: true}, env)
	require.NoError(t, err)
	require.NoError(t, tm.Start(clk.now(), Unit{}))
	_, mono, ok := tm.Next()
	require.True(t, ok)
	require.Equal(t, 44*time.Minute+7519136*time.Microsecond, mono)

	clk.advance(15 * time.Minute)
	ran, err := tm.Elapse(clk.now())
	require.NoError(t, err)
	require.True(t, ran)
	started := clk.mono
	clk.advance(3 * time.Second)
	tm.UnitChanged(clk.now(), Unit{Activated: started, Deactivated: clk.mono}, false)
	_, mono, ok = tm.Next()
	require.True(t, ok)
	require.Equal(t, started+24*time.Hour, mono, "OnBootSec= is spent, OnUnitActiveSec= counts from the run")
}

func TestTimer_OneShotTimerElapsesOnceThenStaysElapsedOrDies(t *testing.T) {
	for _, remain := range []bool{true, false} {
		clk := &fakeClock{real: at("2026-03-01T00:00:00Z"), mono: time.Second}
		env := newEnv(t, clk)
		tm, err := New(Config{Name: "once.timer", OnActive: []time.Duration{time.Minute}, RemainAfterElapse: remain}, env)
		require.NoError(t, err)
		require.NoError(t, tm.Start(clk.now(), Unit{}))
		runs := 0
		for i := 0; i < 600; i++ {
			clk.advance(time.Second)
			if ran, _ := tm.Elapse(clk.now()); ran {
				runs++
				tm.UnitChanged(clk.now(), Unit{Activated: clk.mono, Deactivated: clk.mono}, false)
			}
		}
		require.Equal(t, 1, runs)
		if remain {
			require.Equal(t, Elapsed, tm.State())
		} else {
			require.Equal(t, Dead, tm.State())
		}
	}
}

// run drives a timer second by second; the unit runs for job each time.
// It returns the trigger times.
func run(t *testing.T, tm *Timer, clk *fakeClock, until time.Time, job time.Duration) []time.Time {
	t.Helper()
	var runs []time.Time
	var busyUntil time.Time
	busy := false
	for clk.real.Before(until) {
		clk.advance(time.Second)
		if busy && !clk.real.Before(busyUntil) {
			busy = false
			tm.UnitChanged(clk.now(), Unit{Activated: clk.mono - job, Deactivated: clk.mono}, false)
		}
		ran, err := tm.Elapse(clk.now())
		require.NoError(t, err)
		if ran {
			require.False(t, busy, "started while its unit still runs")
			runs = append(runs, clk.real)
			busy, busyUntil = true, clk.real.Add(job)
		}
	}
	return runs
}

func TestTimer_MinuteTimerRunsOncePerMinuteForADay(t *testing.T) {
	clk := &fakeClock{real: at("2026-03-01T00:00:00Z"), mono: time.Second}
	env := newEnv(t, clk)
	tm, err := New(Config{Name: "minute.timer", OnCalendar: specs(t, "*-*-* *:*:00 UTC"), RemainAfterElapse: true}, env)
	require.NoError(t, err)
	require.NoError(t, tm.Start(clk.now(), Unit{}))
	runs := run(t, tm, clk, at("2026-03-02T00:00:00Z"), 5*time.Second)
	require.Len(t, runs, 1440)
	for i, r := range runs {
		require.Equal(t, at("2026-03-01T00:01:00Z").Add(time.Duration(i)*time.Minute), r)
	}
}

// sysstat-collect.timer (*:00/10) on the day Europe/Berlin falls back: as
// cron runs a wildcard job, it runs by the clock through both passes of
// the repeated hour, every 10 minutes of real time (systemd 252 leaves the
// second pass out); no instant runs twice.
func TestTimer_TenMinuteTimerRunsByTheClockThroughTheRepeatedHourAsCron(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	clk := &fakeClock{real: at("2026-10-24T22:00:00Z").In(berlin), mono: time.Second}
	env := newEnv(t, clk)
	tm, err := New(Config{Name: "sysstat-collect.timer", OnCalendar: specs(t, "*:00/10"), RemainAfterElapse: true}, env)
	require.NoError(t, err)
	require.NoError(t, tm.Start(clk.now(), Unit{}))
	runs := run(t, tm, clk, at("2026-10-25T22:00:00Z"), 2*time.Second) // 24 hours of real time, 00:00 to 23:00 on the wall
	require.Len(t, runs, 24*6, "one elapse every 10 minutes of real time")
	for i, r := range runs {
		require.Equal(t, at("2026-10-24T22:10:00Z").Add(time.Duration(i)*10*time.Minute), r.UTC())
	}
}

// A daily job at 02:30 on the day Europe/Berlin springs forward: as cron
// runs a fixed-time job whose time was skipped, once at the jump (03:00
// CEST); systemd 252 would skip that day. The day after is as usual.
func TestTimer_DailyTimerInTheSpringForwardGapRunsOnceAtTheJumpAsCron(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	clk := &fakeClock{real: at("2026-03-28T12:00:00Z").In(berlin), mono: time.Second}
	env := newEnv(t, clk)
	tm, err := New(Config{Name: "night.timer", OnCalendar: specs(t, "*-*-* 02:30"), RemainAfterElapse: true}, env)
	require.NoError(t, err)
	require.NoError(t, tm.Start(clk.now(), Unit{}))
	runs := run(t, tm, clk, at("2026-03-31T00:00:00Z"), 10*time.Second)
	require.Len(t, runs, 2)
	require.Equal(t, at("2026-03-29T01:00:00Z"), runs[0].UTC(), "03:00 CEST, the jump")
	require.Equal(t, at("2026-03-30T00:30:00Z"), runs[1].UTC(), "02:30 CEST the day after")
}

// A job that runs longer than its period is not started again while it
// runs; when it ends, the elapses it missed run once, at once (the next
// elapse is planned from the last trigger).
func TestTimer_LongJobMissesElapsesAndCatchesUpOnce(t *testing.T) {
	clk := &fakeClock{real: at("2026-03-01T00:00:00Z"), mono: time.Second}
	env := newEnv(t, clk)
	tm, err := New(Config{Name: "slow.timer", OnCalendar: specs(t, "*:00/10 UTC"), RemainAfterElapse: true}, env)
	require.NoError(t, err)
	require.NoError(t, tm.Start(clk.now(), Unit{}))
	runs := run(t, tm, clk, at("2026-03-01T01:30:00Z"), 25*time.Minute)
	require.Equal(t, []time.Time{
		at("2026-03-01T00:10:00Z"), // runs until 00:35
		at("2026-03-01T00:35:00Z"), // 00:20 and 00:30 were missed: once, at once; runs until 01:00
		at("2026-03-01T01:00:00Z"), // 00:40, 00:50, 01:00 missed: once; runs until 01:25
		at("2026-03-01T01:25:00Z"),
	}, utcAll(runs))
}

func utcAll(ts []time.Time) []time.Time {
	out := make([]time.Time, len(ts))
	for i, t := range ts {
		out[i] = t.UTC()
	}
	return out
}

// The clock set back an hour after a trigger: the last trigger, now in the
// future, is pulled back, so the elapses of that hour happen again (as in
// systemd); the monotonic clock does not move back.
func TestTimer_ClockSetBackPullsTheLastTriggerBack(t *testing.T) {
	clk := &fakeClock{real: at("2026-03-01T10:59:00Z"), mono: time.Second}
	env := newEnv(t, clk)
	tm, err := New(Config{Name: "hourly.timer", OnCalendar: specs(t, "hourly UTC"), RemainAfterElapse: true}, env)
	require.NoError(t, err)
	require.NoError(t, tm.Start(clk.now(), Unit{}))
	runs := run(t, tm, clk, at("2026-03-01T11:00:30Z"), time.Second)
	require.Len(t, runs, 1)
	clk.real = clk.real.Add(-time.Hour) // 10:00:30
	tm.ClockChanged(clk.now(), Unit{})
	require.Equal(t, clk.real, tm.LastTrigger().Real)
	next, _, _ := tm.Next()
	require.Equal(t, at("2026-03-01T11:00:00Z"), next.UTC())
}

func TestTimer_StartAfterStopPlansFromTheNewStart(t *testing.T) {
	clk := &fakeClock{real: at("2026-03-01T10:00:00Z"), mono: time.Second}
	env := newEnv(t, clk)
	tm, err := New(Config{Name: "d.timer", OnCalendar: specs(t, "daily UTC"), RemainAfterElapse: true}, env)
	require.NoError(t, err)
	require.NoError(t, tm.Start(clk.now(), Unit{}))
	tm.Stop()
	require.Equal(t, Dead, tm.State())
	clk.advance(26 * time.Hour)
	require.NoError(t, tm.Start(clk.now(), Unit{}))
	require.False(t, tm.Due(clk.now()), "a non-persistent timer does not catch up")
	next, _, _ := tm.Next()
	require.Equal(t, at("2026-03-03T00:00:00Z"), next.UTC())
}

func TestConfig_ValidateRefusesATimerWithoutValues(t *testing.T) {
	_, err := New(Config{Name: "empty.timer"}, &Env{})
	require.ErrorContains(t, err, "no OnCalendar=")
	_, err = New(Config{Name: "../x.timer", OnActive: []time.Duration{time.Second}}, &Env{})
	require.Error(t, err)
}

func TestStamp_RefusesSymlinksAndStaysInsideTheRoot(t *testing.T) {
	root := t.TempDir()
	outside := filepath.Join(t.TempDir(), "target")
	require.NoError(t, os.WriteFile(outside, nil, 0o600))
	old := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	require.NoError(t, os.Chtimes(outside, old, old))
	require.NoError(t, os.MkdirAll(filepath.Join(root, StampDir), 0o755))
	require.NoError(t, os.Symlink(outside, filepath.Join(root, StampDir, "stamp-evil.timer")))

	require.Error(t, TouchStamp(root, "evil.timer", time.Now()))
	_, _, err := ReadStamp(root, "evil.timer")
	require.Error(t, err)
	st, err := os.Stat(outside)
	require.NoError(t, err)
	require.True(t, st.ModTime().Equal(old), "the symlink's target was not touched")

	// A symlinked stamp directory pointing out of the root is not followed.
	root2 := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root2, "var/lib/boxinit"), 0o755))
	require.NoError(t, os.Symlink(filepath.Dir(outside), filepath.Join(root2, StampDir)))
	require.Error(t, TouchStamp(root2, "target", time.Now()))
}

func TestStamp_KeepsMicroseconds(t *testing.T) {
	root := t.TempDir()
	when := at("2026-12-02T14:18:52.727317999Z")
	require.NoError(t, TouchStamp(root, "p.timer", when))
	got, ok, err := ReadStamp(root, "p.timer")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, at("2026-12-02T14:18:52.727317Z"), got.UTC())
	require.NoError(t, RemoveStamp(root, "p.timer"))
	_, ok, err = ReadStamp(root, "p.timer")
	require.NoError(t, err)
	require.False(t, ok)
}

func TestReadMachineID_ReadsHexAndReportsAMissingOne(t *testing.T) {
	root := t.TempDir()
	_, err := ReadMachineID(root)
	require.ErrorIs(t, err, ErrNoMachineID)
	require.NoError(t, os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc/machine-id"), []byte("c540fe0bed614f9cb826adb97a8de6c6\n"), 0o444))
	id, err := ReadMachineID(root)
	require.NoError(t, err)
	require.Equal(t, machineID(t, "c540fe0bed614f9cb826adb97a8de6c6"), id)
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc/machine-id"), []byte("nope\n"), 0o444))
	_, err = ReadMachineID(root)
	require.ErrorContains(t, err, "32 hex digits")
}

// apt-daily-upgrade.timer (Persistent=true, RandomizedDelaySec=60m) after
// two days down: the missed run is planned at boxinit's start plus the
// random delay, not at the missed time plus the delay (which is long past).
func TestTimer_MissedRunWaitsItsRandomDelayAfterBoxinitStarts(t *testing.T) {
	clk := &fakeClock{real: at("2026-12-02T14:00:00Z"), mono: time.Second}
	env := newEnv(t, clk)
	env.Random = func() uint64 { return uint64(30 * time.Minute / time.Microsecond) }
	require.NoError(t, TouchStamp(env.Root, "apt-daily-upgrade.timer", at("2026-11-30T06:10:00Z")))
	tm, err := New(Config{Name: "apt-daily-upgrade.timer", OnCalendar: specs(t, "*-*-* 6:00 UTC"), RandomizedDelay: time.Hour, Persistent: true, RemainAfterElapse: true}, env)
	require.NoError(t, err)
	require.NoError(t, tm.Start(clk.now(), Unit{}))
	next, _, _ := tm.Next()
	require.Equal(t, at("2026-12-02T14:30:00Z"), next.UTC())
	require.False(t, tm.Due(clk.now()))
	runs := run(t, tm, clk, at("2026-12-03T14:00:00Z"), time.Minute)
	require.Equal(t, []time.Time{at("2026-12-02T14:30:00Z"), at("2026-12-03T06:30:00Z")}, utcAll(runs))
}

// A unit whose condition fails never becomes active; OnUnitActiveSec=
// then counts from the trigger, so the timer still repeats.
func TestTimer_OnUnitActiveSecCountsFromTheTriggerWhenTheUnitNeverRan(t *testing.T) {
	clk := &fakeClock{real: at("2026-03-01T00:00:00Z"), mono: time.Second}
	env := newEnv(t, clk)
	tm, err := New(Config{Name: "r.timer", OnBoot: []time.Duration{time.Minute}, OnUnitActive: []time.Duration{time.Hour}, RemainAfterElapse: true}, env)
	require.NoError(t, err)
	require.NoError(t, tm.Start(clk.now(), Unit{}))
	var runs []time.Duration
	for i := 0; i < 3*3600; i++ {
		clk.advance(time.Second)
		if ran, _ := tm.Elapse(clk.now()); ran {
			runs = append(runs, clk.mono)
			tm.UnitChanged(clk.now(), Unit{}, false) // skipped by its condition
		}
	}
	second := time.Second + time.Minute
	require.Equal(t, []time.Duration{second, second + time.Hour, second + 2*time.Hour}, runs)
}

func TestTimer_RunningTimerWaitsForItsUnitToEnd(t *testing.T) {
	clk := &fakeClock{real: at("2026-03-01T00:00:00Z"), mono: time.Second}
	env := newEnv(t, clk)
	tm, err := New(Config{Name: "m.timer", OnCalendar: specs(t, "minutely UTC"), RemainAfterElapse: true}, env)
	require.NoError(t, err)
	require.NoError(t, tm.Start(clk.now(), Unit{}))
	clk.advance(time.Minute)
	ran, err := tm.Elapse(clk.now())
	require.NoError(t, err)
	require.True(t, ran)
	clk.advance(time.Second)
	tm.UnitChanged(clk.now(), Unit{Activated: clk.mono}, true) // the service is up
	require.Equal(t, Running, tm.State())
	clk.advance(2 * time.Minute)
	require.False(t, tm.Due(clk.now()))
	tm.UnitChanged(clk.now(), Unit{Activated: clk.mono - 2*time.Minute, Deactivated: clk.mono}, false)
	require.Equal(t, Waiting, tm.State())
	require.True(t, tm.Due(clk.now()), "the elapses missed while it ran: once, now")
}

// systemd 252 in the container, OnActiveSec=1s, OnUnitInactiveSec=3s and a
// service that runs for one second: runs at +1.03 s and +5.07 s, the second
// one three seconds after the first ended.
func TestTimer_OnUnitInactiveSecCountsFromTheEndOfTheRun(t *testing.T) {
	clk := &fakeClock{real: at("2026-12-02T14:25:04Z"), mono: time.Hour}
	env := newEnv(t, clk)
	tm, err := New(Config{Name: "inact.timer", OnActive: []time.Duration{time.Second}, OnUnitInactive: []time.Duration{3 * time.Second}, Accuracy: time.Microsecond, RemainAfterElapse: true}, env)
	require.NoError(t, err)
	start := clk.real
	require.NoError(t, tm.Start(clk.now(), Unit{}))
	runs := run(t, tm, clk, start.Add(10*time.Second), time.Second)
	var offsets []time.Duration
	for _, r := range runs {
		offsets = append(offsets, r.Sub(start))
	}
	require.Equal(t, []time.Duration{time.Second, 5 * time.Second, 9 * time.Second}, offsets)
}
