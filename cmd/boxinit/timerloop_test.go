package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/boxinit/boxinit/internal/services"
	"github.com/boxinit/boxinit/internal/testutil"
	"github.com/boxinit/boxinit/internal/timers"
	"github.com/boxinit/boxinit/internal/units"
)

// The timer loop's world, faked: both clocks, the wall-clock alarm (the
// timerfd: its moments and the kernel's "the clock was set"), and the
// services. The host's clock is never set; a step is the fake clock moving
// apart from the monotonic one and the alarm saying so, as the timerfd
// does with ECANCELED (see timers.TestReadOutcome_…).

type fakeClock struct {
	mu sync.Mutex
	d  timers.Dual
}

func (c *fakeClock) now() timers.Dual {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.d
}

// advance moves both clocks; set moves the wall clock alone (a step) and
// the monotonic one by a second.
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.d.Real, c.d.Mono = c.d.Real.Add(d), c.d.Mono+d
	c.mu.Unlock()
}

func (c *fakeClock) set(real time.Time) {
	c.mu.Lock()
	c.d.Real, c.d.Mono = real, c.d.Mono+time.Second
	c.mu.Unlock()
}

type fakeAlarm struct {
	sets   chan time.Time // every Set, in order
	events chan bool      // what Wait returns: true for a clock set
	closed chan struct{}
	once   sync.Once
}

func newFakeAlarm() *fakeAlarm {
	return &fakeAlarm{sets: make(chan time.Time, 1000), events: make(chan bool), closed: make(chan struct{})}
}

func (a *fakeAlarm) Set(at time.Time) error { a.sets <- at; return nil }
func (a *fakeAlarm) Close() error           { a.once.Do(func() { close(a.closed) }); return nil }
func (a *fakeAlarm) Wait() (bool, error) {
	select {
	case s := <-a.events:
		return s, nil
	case <-a.closed:
		return false, os.ErrClosed
	}
}

// armedFor waits until the loop arms the alarm for want (skipping the
// other moments it armed for before).
func (a *fakeAlarm) armedFor(t *testing.T, want time.Time) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	var last time.Time
	for {
		select {
		case at := <-a.sets:
			if at.Equal(want) {
				return
			}
			last = at
		case <-deadline:
			t.Fatalf("the alarm was never armed for %s; last for %s", want.Format(time.TimeOnly), last.Format(time.TimeOnly))
		}
	}
}

// fakeManager runs every unit as a oneshot that ends at once and lets the
// test start and stop units as systemctl would.
type fakeManager struct {
	mu       sync.Mutex
	clock    *fakeClock
	units    map[string]*services.Status
	starts   map[string]int
	missing  map[string]bool // units there are none of
	onChange func(string)
}

func newFakeManager(c *fakeClock) *fakeManager {
	return &fakeManager{clock: c, units: map[string]*services.Status{}, starts: map[string]int{}}
}

func (m *fakeManager) set(name, state string) {
	m.mu.Lock()
	st, ok := m.units[name]
	if !ok {
		st = &services.Status{Name: name, Names: []string{name}, ActiveState: services.Inactive}
		m.units[name] = st
	}
	now := m.clock.now().Real
	wasIn := !isActive(*st)
	st.ActiveState = state
	if isIn := !isActive(*st); wasIn && !isIn {
		st.LeftInactive = now
	} else if !wasIn && isIn {
		st.EnteredInactive = now
	}
	fn := m.onChange
	m.mu.Unlock()
	if fn != nil {
		fn(name)
	}
}

func (m *fakeManager) Start(_ context.Context, name string) error {
	m.mu.Lock()
	m.starts[name]++
	missing := m.missing[name]
	m.mu.Unlock()
	if missing {
		return fmt.Errorf("unit %s: %w", name, units.ErrNotFound)
	}
	m.set(name, services.Activating)
	m.set(name, services.Inactive)
	return nil
}

func (m *fakeManager) started(name string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.starts[name]
}

func (m *fakeManager) Status(name string) (services.Status, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.missing[name] {
		return services.Status{}, fmt.Errorf("unit %s: %w", name, units.ErrNotFound)
	}
	if st, ok := m.units[name]; ok {
		return *st, nil
	}
	m.units[name] = &services.Status{Name: name, Names: []string{name}, ActiveState: services.Inactive}
	return *m.units[name], nil
}

func (m *fakeManager) List() []services.Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []services.Status
	for _, st := range m.units {
		out = append(out, *st)
	}
	return out
}

func (m *fakeManager) OnChange(fn func(string)) {
	m.mu.Lock()
	m.onChange = fn
	m.mu.Unlock()
}

type fakeWorld struct {
	h     *timerHost
	clock *fakeClock
	alarm *fakeAlarm
	m     *fakeManager
	t0    time.Time
}

// fakeTimers writes the timer units (name → body), enabled, under a
// temporary root and runs the timer loop on fake clocks from start (the
// wall clock at boxinit's start; the monotonic clock reads 1µs then).
func fakeTimers(t *testing.T, start time.Time, unitFiles map[string]string, prepare func(*fakeWorld)) *fakeWorld {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "etc/systemd/system")
	for name, body := range unitFiles {
		writeFile(t, filepath.Join(dir, name), body)
		if strings.HasSuffix(name, ".timer") {
			writeFile(t, filepath.Join(dir, "timers.target.wants", name), body)
		}
	}
	w := &fakeWorld{clock: &fakeClock{d: timers.Dual{Real: start, Mono: time.Microsecond}}, alarm: newFakeAlarm(), t0: start}
	w.m = newFakeManager(w.clock)
	w.h = &timerHost{root: root, start: start, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		entries: map[string]*timerEntry{}, wake: make(chan struct{}, 1),
		env:      &timers.Env{Root: root, Startup: w.clock.now()},
		clock:    w.clock.now,
		newAlarm: func() (wallAlarm, error) { return w.alarm, nil },
		units:    func() unitManager { return w.m },
		facts:    &units.Facts{Root: root}}
	if prepare != nil {
		prepare(w)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.h.run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return w
}

// fire is the timerfd's read returning: the moment came (false) or the
// clock was set (true).
func (w *fakeWorld) fire(t *testing.T, stepped bool) {
	t.Helper()
	select {
	case w.alarm.events <- stepped:
	case <-time.After(5 * time.Second):
		t.Fatal("the loop does not wait on the alarm")
	}
}

func (w *fakeWorld) row(t *testing.T, name string) timerRow {
	t.Helper()
	for _, r := range w.h.rows() {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no row for %s", name)
	return timerRow{}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("%s never happened", what)
}

var hourly = map[string]string{
	"tick.timer":   "[Timer]\nOnCalendar=hourly\nAccuracySec=1us\n",
	"tick.service": "[Service]\nType=oneshot\nExecStart=/bin/true\n",
}

func TestTimerLoop_AClockSetBackMakesAnHourlyTimerPlanFromTheNewTimeAndRunOncePerElapse(t *testing.T) {
	w := fakeTimers(t, time.Date(2026, 12, 2, 9, 59, 59, 0, time.UTC), hourly, nil)
	at := func(h, m int) time.Time { return time.Date(2026, 12, 2, h, m, 0, 0, time.UTC) }

	w.alarm.armedFor(t, at(10, 0))
	w.clock.advance(time.Second)
	w.fire(t, false)
	waitFor(t, "tick.service started at 10:00", func() bool { return w.m.started("tick.service") == 1 })
	w.alarm.armedFor(t, at(11, 0))

	// The clock is set back 40 minutes (an NTP step): the last trigger,
	// 10:00, is now in the future; systemd pulls it back to now and plans
	// again: the next elapse is 10:00, not 11:00 — 40 minutes, not 100.
	w.clock.set(at(9, 20))
	w.fire(t, true)
	w.alarm.armedFor(t, at(10, 0))
	if n := w.m.started("tick.service"); n != 1 {
		t.Errorf("the step started tick.service: %d starts", n)
	}
	w.clock.advance(40 * time.Minute)
	w.fire(t, false)
	waitFor(t, "tick.service started at 10:00 again", func() bool { return w.m.started("tick.service") == 2 })
	w.alarm.armedFor(t, at(11, 0))
}

func TestTimerLoop_AClockSetForwardRunsTheMissedElapsesOnceAndPlansFromTheNewTime(t *testing.T) {
	w := fakeTimers(t, time.Date(2026, 12, 2, 9, 59, 59, 0, time.UTC), hourly, nil)
	at := func(h, m int) time.Time { return time.Date(2026, 12, 2, h, m, 0, 0, time.UTC) }
	w.alarm.armedFor(t, at(10, 0))
	w.clock.advance(time.Second)
	w.fire(t, false)
	w.alarm.armedFor(t, at(11, 0))

	// Forward by 3.5 hours: 11:00, 12:00 and 13:00 were skipped over.
	w.clock.set(at(13, 30))
	w.fire(t, true)
	w.alarm.armedFor(t, at(14, 0))
	if n := w.m.started("tick.service"); n != 2 {
		t.Errorf("tick.service started %d times, want 2 (10:00, and once for the three skipped)", n)
	}
}

// systemd.timer(5): OnUnitActiveSec= counts from when the unit was last
// activated, OnUnitInactiveSec= from when it was last deactivated —
// whoever started it: the boot, systemctl, the timer itself.
func TestTimerLoop_OnUnitActiveAndInactiveSecCountFromAStartOrStopBySystemctlOrTheBoot(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	files := map[string]string{
		"boot.timer":  "[Timer]\nOnUnitActiveSec=10min\nAccuracySec=1us\n",
		"ctl.timer":   "[Timer]\nOnUnitActiveSec=10min\nAccuracySec=1us\n",
		"after.timer": "[Timer]\nOnUnitInactiveSec=1h\nAccuracySec=1us\n",
	}
	w := fakeTimers(t, t0, files, func(w *fakeWorld) {
		w.clock.advance(2 * time.Second)
		w.m.set("boot.service", services.Active) // the boot started it, 2 s in
		w.clock.advance(3 * time.Second)
	})
	waitFor(t, "the timers loaded", func() bool { return len(w.h.rows()) == 3 })
	if got, want := w.row(t, "boot.timer").Next, t0.Add(2*time.Second+10*time.Minute); got.Sub(want).Abs() > time.Millisecond {
		t.Errorf("boot.timer next %s, want %s (10 min after the boot started its unit)", got.Format(time.TimeOnly), want.Format(time.TimeOnly))
	}
	for _, n := range []string{"ctl.timer", "after.timer"} {
		if r := w.row(t, n); !r.Next.IsZero() || r.State != string(timers.Elapsed) {
			t.Errorf("%s, whose unit never ran: %+v, want elapsed with no next elapse", n, r)
		}
	}

	w.clock.advance(time.Minute)
	w.m.set("ctl.service", services.Active) // systemctl start ctl.service
	want := w.clock.now().Real.Add(10 * time.Minute)
	waitFor(t, "ctl.timer planned from the systemctl start", func() bool { return w.row(t, "ctl.timer").Next.Sub(want).Abs() < time.Millisecond })

	w.m.set("after.service", services.Active)
	w.clock.advance(5 * time.Minute)
	w.m.set("after.service", services.Inactive) // systemctl stop after.service
	want = w.clock.now().Real.Add(time.Hour)
	waitFor(t, "after.timer planned from the stop", func() bool { return w.row(t, "after.timer").Next.Sub(want).Abs() < time.Millisecond })
}

func TestTimerHost_ATimerWhoseOwnConditionFailsIsSkippedWithTheReasonAndArmedOnceItHolds(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	w := fakeTimers(t, t0, map[string]string{
		"cond.timer": "[Unit]\nConditionPathExists=/etc/cond-flag\n\n[Timer]\nOnCalendar=hourly\n",
	}, nil)
	waitFor(t, "cond.timer loaded", func() bool { return len(w.h.rows()) == 1 })
	r := w.row(t, "cond.timer")
	if r.State != string(timers.Dead) || !r.Next.IsZero() || r.Skipped != "condition failed: ConditionPathExists=/etc/cond-flag" {
		t.Errorf("cond.timer with its condition failing: %+v", r)
	}
	var b strings.Builder
	listTimers(&b, w.h.rows(), t0, true)
	if !strings.Contains(b.String(), "cond.timer skipped: condition failed: ConditionPathExists=/etc/cond-flag") {
		t.Errorf("list-timers --all does not say why:\n%s", b.String())
	}
	b.Reset()
	timerStatus(&b, r, t0)
	if !strings.Contains(b.String(), "Skipped: condition failed: ConditionPathExists=/etc/cond-flag") {
		t.Errorf("status does not say why:\n%s", b.String())
	}

	writeFile(t, filepath.Join(w.h.root, "etc/cond-flag"), "")
	if err := w.h.startTimer("cond.timer"); err != nil { // systemctl start cond.timer
		t.Fatal(err)
	}
	if r := w.row(t, "cond.timer"); r.State != string(timers.Waiting) || r.Skipped != "" || !r.Next.Equal(t0.Add(time.Hour)) {
		t.Errorf("cond.timer with its condition met: %+v", r)
	}

	writeFile(t, filepath.Join(w.h.root, "etc/systemd/system/assert.timer"), "[Unit]\nAssertPathExists=/etc/nope\n\n[Timer]\nOnCalendar=hourly\n")
	err := w.h.startTimer("assert.timer")
	if err == nil || !strings.Contains(err.Error(), "assertion failed: AssertPathExists=/etc/nope") {
		t.Errorf("start of a timer whose assertion fails: %v", err)
	}
	if r := w.row(t, "assert.timer"); r.State != string(timers.Dead) {
		t.Errorf("assert.timer armed: %+v", r)
	}
}

// systemd retries at the next elapse when the start of the unit fails
// (Unit= names a unit there is none of): the timer is not left running.
func TestTimerLoop_AUnitThatCannotStartLeavesItsTimerWaitingForTheNextElapse(t *testing.T) {
	w := fakeTimers(t, time.Date(2026, 12, 2, 9, 59, 59, 0, time.UTC), map[string]string{
		"gone.timer": "[Timer]\nOnCalendar=hourly\nAccuracySec=1us\nUnit=gone.service\n",
	}, func(w *fakeWorld) { w.m.missing = map[string]bool{"gone.service": true} })
	w.alarm.armedFor(t, time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC))
	w.clock.advance(time.Second)
	w.fire(t, false)
	w.alarm.armedFor(t, time.Date(2026, 12, 2, 11, 0, 0, 0, time.UTC))
	if n := w.m.started("gone.service"); n != 1 {
		t.Errorf("%d starts of gone.service, want 1", n)
	}
}

type fakeZones struct {
	events chan struct{}
	closed chan struct{}
	once   sync.Once
}

func (z *fakeZones) Wait() error {
	select {
	case <-z.events:
		return nil
	case <-z.closed:
		return os.ErrClosed
	}
}
func (z *fakeZones) Close() error { z.once.Do(func() { close(z.closed) }); return nil }

// systemd.timer(5): OnCalendar= is wall-clock time, and a change of the
// time zone makes the timers plan again. A daily 09:00 timer waits for
// 09:00 UTC; /etc/localtime becomes Europe/Berlin (UTC+1 in December): it
// now waits for 09:00 there, 08:00 UTC.
func TestTimerLoop_ANewTimeZoneMakesACalendarTimerPlanOnTheNewWallClock(t *testing.T) {
	data, err := os.ReadFile("/usr/share/zoneinfo/Europe/Berlin")
	if err != nil {
		t.Skip("requires tzdata")
	}
	if tz, set := os.LookupEnv("TZ"); set {
		os.Unsetenv("TZ")
		t.Cleanup(func() { os.Setenv("TZ", tz) })
	}
	zones := &fakeZones{events: make(chan struct{}), closed: make(chan struct{})}
	units := map[string]string{
		"nine.timer":   "[Timer]\nOnCalendar=*-*-* 09:00:00\nAccuracySec=1us\n",
		"nine.service": "[Service]\nType=oneshot\nExecStart=/bin/true\n",
	}
	w := fakeTimers(t, time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC), units, func(w *fakeWorld) {
		w.h.newZones = func() (zoneWatch, error) { return zones, nil }
		w.h.zone.Store(time.UTC) // not the machine's zone, whatever it is
	})
	w.alarm.armedFor(t, time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))

	require.NoError(t, os.WriteFile(filepath.Join(w.h.root, "etc/localtime"), data, 0o644))
	select {
	case zones.events <- struct{}{}:
	case <-time.After(5 * time.Second):
		t.Fatal("the loop does not watch the zone")
	}
	w.alarm.armedFor(t, time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC))
	assert.Equal(t, 0, w.m.started("nine.service"))
}

// The same zone written again (a tzdata upgrade rewrites /etc/localtime)
// is no change: the timers keep their plan and their random delays.
func TestTimerLoop_TheSameTimeZoneWrittenAgainChangesNoPlan(t *testing.T) {
	zones := &fakeZones{events: make(chan struct{}), closed: make(chan struct{})}
	if tz, set := os.LookupEnv("TZ"); set {
		os.Unsetenv("TZ")
		t.Cleanup(func() { os.Setenv("TZ", tz) })
	}
	logged := &testutil.SyncBuffer{}
	w := fakeTimers(t, time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC), map[string]string{
		"nine.timer":   "[Timer]\nOnCalendar=*-*-* 09:00:00\nAccuracySec=1us\n",
		"nine.service": "[Service]\nType=oneshot\nExecStart=/bin/true\n",
	}, func(w *fakeWorld) {
		w.h.newZones = func() (zoneWatch, error) { return zones, nil }
		w.h.zone.Store(time.UTC)
		w.h.log = slog.New(slog.NewTextHandler(logged, nil))
	})
	w.alarm.armedFor(t, time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
	for range 2 { // no /etc/localtime before, none after: UTC both times
		select {
		case zones.events <- struct{}{}:
		case <-time.After(5 * time.Second):
			t.Fatal("the loop does not watch the zone")
		}
	}
	time.Sleep(100 * time.Millisecond) // the loop has taken them (a change would be logged)
	assert.NotContains(t, logged.String(), "time zone changed")
}
