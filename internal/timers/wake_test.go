package timers

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestWake_TakesTheMachinesSpotInTheMinuteWithinTheWindow(t *testing.T) {
	p := 38655714 * time.Microsecond
	a := at("2026-12-02T14:21:00Z")
	require.Equal(t, at("2026-12-02T14:21:38.655714Z"), Wake(a, a.Add(time.Minute), p).UTC())
	// A window that does not reach the spot in the minute takes the spot
	// in 10 s steps, then 1 s, then 250 ms.
	require.Equal(t, at("2026-12-02T14:21:08.655714Z"), Wake(a, a.Add(10*time.Second), p).UTC())
	require.Equal(t, at("2026-12-02T14:21:00.655714Z"), Wake(a, a.Add(time.Second), p).UTC())
	require.Equal(t, at("2026-12-02T14:21:00.155714Z"), Wake(a, a.Add(200*time.Millisecond), p).UTC())
	require.Equal(t, a, Wake(a, a.Add(time.Microsecond), p).UTC(), "a 1 µs window is its start")
	require.Equal(t, a.Add(3*time.Millisecond), Wake(a, a.Add(3*time.Millisecond), 200*time.Millisecond))
}

func TestWakeMono_IsWakeOnTheMonotonicClock(t *testing.T) {
	require.Equal(t, 44*time.Minute+38*time.Second, WakeMono(44*time.Minute, 45*time.Minute, 38*time.Second))
}

// In the systemd 252 container (boot id 4f296882-…, the host's) a
// minutely timer's service started at :03.687 and :03.693 each minute: the
// event loop woke on the monotonic clock at 38.655714 s into a monotonic
// minute, which with that container's clock offset (realtime 14:18:32.532907
// at monotonic 1747.519136 s) is :03.669 on the wall clock, and ran the
// realtime timer that was due. So the perturbation is right; when the loop
// wakes for other events a timer can run earlier in its window than Wake.
func TestPerturb_XorsTheHalvesOfTheBootID(t *testing.T) {
	id := machineID(t, "4f29688272c54820ad2c8985280602b3")
	require.Equal(t, 38655714*time.Microsecond, Perturb(id))
}

// dpkg-db-backup (daily, AccuracySec=1min) and logrotate (daily,
// AccuracySec=1h) share midnight: the window is the narrower one, both run
// at the machine's spot in that minute.
func TestNextWake_TimersOfOneWindowRunTogether(t *testing.T) {
	clk := &fakeClock{real: at("2026-03-01T10:00:00Z"), mono: time.Minute}
	env := newEnv(t, clk)
	var timers []*Timer
	for _, c := range []struct {
		name     string
		accuracy time.Duration
	}{{"dpkg-db-backup.timer", time.Minute}, {"logrotate.timer", time.Hour}} {
		tm, err := New(Config{Name: c.name, OnCalendar: specs(t, "daily UTC"), Accuracy: c.accuracy, RemainAfterElapse: true}, env)
		require.NoError(t, err)
		require.NoError(t, tm.Start(clk.now(), Unit{}))
		timers = append(timers, tm)
	}
	boot, err := New(Config{Name: "b.timer", OnBoot: []time.Duration{15 * time.Minute}, RemainAfterElapse: true}, env)
	require.NoError(t, err)
	require.NoError(t, boot.Start(clk.now(), Unit{}))
	timers = append(timers, boot)

	real, ok, mono, monoOK := NextWake(timers, 38655714*time.Microsecond)
	require.True(t, ok)
	require.Equal(t, at("2026-03-02T00:00:38.655714Z"), real.UTC())
	require.True(t, monoOK)
	require.Equal(t, 16*time.Minute+38655714*time.Microsecond, mono, "boxinit started at 1 min; 15 min later, at the spot")
	for _, tm := range timers[:2] {
		require.True(t, tm.Due(Dual{Real: real, Mono: clk.mono + 14*time.Hour}), tm.Name())
	}
	// Logrotate alone waits until the spot in its hour-wide window's last minute.
	real, _, _, _ = NextWake(timers[1:2], 38655714*time.Microsecond)
	require.Equal(t, at("2026-03-02T00:59:38.655714Z"), real.UTC())
}
