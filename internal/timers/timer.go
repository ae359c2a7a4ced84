package timers

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/boxinit/boxinit/internal/calendar"
)

// Dual is a moment on both clocks systemd keeps: the wall clock, which DST
// and clock steps move, and a monotonic clock (here: time since boxinit's
// clock zero). A zero Dual is "never".
type Dual struct {
	Real time.Time
	Mono time.Duration
}

// IsSet reports whether d is a moment rather than "never".
func (d Dual) IsSet() bool { return !d.Real.IsZero() || d.Mono > 0 }

// Defaults systemd 252 gives a timer unit.
const (
	DefaultAccuracy = time.Minute // AccuracySec=, DefaultTimerAccuracySec=
)

// Config is a timer unit's [Timer] section, parsed.
type Config struct {
	Name string // the timer unit, "apt-daily.timer"

	OnCalendar []*calendar.Spec
	// Monotonic values: each one is a delay after its base.
	OnActive       []time.Duration // after the timer was started
	OnBoot         []time.Duration // after boot; in a container (always, for boxinit) after boxinit started
	OnStartup      []time.Duration // after boxinit started
	OnUnitActive   []time.Duration // after the unit was last activated (or triggered)
	OnUnitInactive []time.Duration // after the unit last became inactive (or was triggered)

	RandomizedDelay   time.Duration
	FixedRandomDelay  bool          // the random delay is a hash of machine id and unit name
	Accuracy          time.Duration // 0: DefaultAccuracy
	Persistent        bool          // remember the last trigger across restarts (OnCalendar only)
	RemainAfterElapse bool          // systemd's default is true; set it
}

// Validate refuses a timer that can never elapse, as systemd does ("Timer
// unit lacks value setting").
func (c *Config) Validate() error {
	if strings.ContainsRune(c.Name, '/') || !strings.HasSuffix(c.Name, ".timer") || strings.HasPrefix(c.Name, ".") {
		return fmt.Errorf("timer %q: not a timer unit name", c.Name)
	}
	if len(c.OnCalendar)+len(c.OnActive)+len(c.OnBoot)+len(c.OnStartup)+len(c.OnUnitActive)+len(c.OnUnitInactive) == 0 {
		return fmt.Errorf("timer %s: no OnCalendar=, OnActiveSec=, OnBootSec=, OnStartupSec=, OnUnitActiveSec= or OnUnitInactiveSec=", c.Name)
	}
	for _, l := range [][]time.Duration{c.OnActive, c.OnBoot, c.OnStartup, c.OnUnitActive, c.OnUnitInactive} {
		for _, d := range l {
			if d < 0 {
				return fmt.Errorf("timer %s: negative delay %s", c.Name, d)
			}
		}
	}
	return nil
}

// Env is what every timer of one boxinit shares.
type Env struct {
	Root      string   // stamps go to Root/var/lib/boxinit/timers
	Startup   Dual     // when boxinit started: OnStartupSec=, OnBootSec=, and the earliest a missed calendar elapse runs
	MachineID [16]byte // /etc/machine-id, for FixedRandomDelay=; zero if unknown (systemd does the same)
	UID       uint32   // 0: the system instance
	// Random draws RandomizedDelaySec= delays; nil means crypto/rand.
	Random func() uint64
}

func (e *Env) random() uint64 {
	if e.Random != nil {
		return e.Random()
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

// State is the timer's sub-state as systemctl shows it.
type State string

// Timer states, as systemd names them.
const (
	Dead    State = "dead"
	Waiting State = "waiting" // active, an elapse is scheduled
	Running State = "running" // active, its unit was started and has not finished
	Elapsed State = "elapsed" // active, nothing left to elapse
	Failed  State = "failed"
)

// Unit is what a timer knows of the unit it activates: when (monotonic) it
// last became active and inactive; zero for never.
type Unit struct {
	Activated, Deactivated time.Duration
}

// Timer is one timer unit's state machine: it decides when it elapses; its
// owner starts the unit when Elapse says so and reports the unit's changes.
// Its methods take the current time, so tests drive it with a fake clock.
type Timer struct {
	cfg Config
	env *Env

	state       State
	activated   Dual // when the timer last became active
	lastTrigger Dual
	disabled    map[valueKey]bool // one-shot monotonic values already spent

	nextReal time.Time     // zero: none
	nextMono time.Duration // meaningful with hasMono
	hasMono  bool
}

type valueKey struct {
	base  string
	index int
}

// New makes a stopped timer.
func New(cfg Config, env *Env) (*Timer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Accuracy <= 0 {
		cfg.Accuracy = DefaultAccuracy
	}
	return &Timer{cfg: cfg, env: env, state: Dead, disabled: map[valueKey]bool{}}, nil
}

// Name is the timer unit's name.
func (t *Timer) Name() string { return t.cfg.Name }

// State is the timer's sub-state.
func (t *Timer) State() State { return t.state }

// LastTrigger is when the timer last elapsed (from the stamp for a
// Persistent timer just started; then only Real is set).
func (t *Timer) LastTrigger() Dual { return t.lastTrigger }

// Next is the next elapse on each clock, random delay included: a zero
// time for no calendar elapse, ok false for no monotonic one.
func (t *Timer) Next() (real time.Time, mono time.Duration, monoOK bool) {
	return t.nextReal, t.nextMono, t.hasMono
}

// Accuracy is the window after an elapse within which it may be run
// (AccuracySec=); see Wake.
func (t *Timer) Accuracy() time.Duration { return t.cfg.Accuracy }

// Start starts the timer (systemctl start, or boot). A Persistent timer
// reads its stamp: a calendar elapse missed since then is due at once (or
// after its random delay); without a stamp it writes one, so that the next
// boot knows the timer existed.
func (t *Timer) Start(now Dual, unit Unit) error {
	if t.state != Dead && t.state != Failed {
		return nil
	}
	t.lastTrigger = Dual{}
	for k := range t.disabled {
		if k.base == "OnActiveSec" {
			delete(t.disabled, k)
		}
	}
	var stampErr error
	if t.persistent() {
		last, ok, err := ReadStamp(t.env.Root, t.cfg.Name)
		switch {
		case err != nil:
			stampErr = err
		case ok && last.Before(now.Real):
			t.lastTrigger.Real = last
		case ok:
			stampErr = fmt.Errorf("timer %s: stamp %s is in the future, not used", t.cfg.Name, last.UTC().Format(time.RFC3339))
		default:
			stampErr = TouchStamp(t.env.Root, t.cfg.Name, now.Real)
		}
	}
	t.enterWaiting(now, unit, false)
	if t.state != Dead {
		t.activated = now
	}
	return stampErr
}

// Stop stops the timer; its unit is left alone.
func (t *Timer) Stop() {
	t.setState(Dead)
}

// Due reports whether the timer elapses at now: it waits and one of its
// next elapses has come.
func (t *Timer) Due(now Dual) bool {
	if t.state != Waiting {
		return false
	}
	return !t.nextReal.IsZero() && !now.Real.Before(t.nextReal) || t.hasMono && now.Mono >= t.nextMono
}

// Elapse is the timer elapsing at now: if it is due, it records the
// trigger (and the stamp of a Persistent timer), goes to Running and
// returns true: the caller starts the unit. Until Unit reports the unit
// inactive again no further elapse happens, so a job that runs longer than
// its period is not started twice.
func (t *Timer) Elapse(now Dual) (bool, error) {
	if !t.Due(now) {
		return false, nil
	}
	t.lastTrigger = now
	t.setState(Running)
	if t.persistent() {
		return true, TouchStamp(t.env.Root, t.cfg.Name, now.Real)
	}
	return true, nil
}

// UnitChanged tells the timer its unit changed state (active tells which);
// a waiting timer plans again, a running one waits again once the unit is
// inactive.
func (t *Timer) UnitChanged(now Dual, unit Unit, active bool) {
	for k := range t.disabled {
		if k.base == "OnUnitActiveSec" || k.base == "OnUnitInactiveSec" {
			delete(t.disabled, k)
		}
	}
	switch t.state {
	case Waiting, Elapsed:
		t.enterWaiting(now, unit, false)
	case Running:
		if !active {
			t.enterWaiting(now, unit, false)
		}
	}
}

// ClockChanged is a clock step (or a time zone change): a last trigger in
// the future is pulled back to now, and the next elapse is computed again.
func (t *Timer) ClockChanged(now Dual, unit Unit) {
	if t.state != Waiting {
		return
	}
	if t.lastTrigger.Real.After(now.Real) {
		t.lastTrigger.Real = now.Real
	}
	t.enterWaiting(now, unit, true)
}

// ZoneChanged plans the next elapse again after the time zone changed
// (now is on the new zone's wall clock), as systemd's
// timer_timezone_change does: calendar specs name wall-clock times.
func (t *Timer) ZoneChanged(now Dual, unit Unit) {
	if t.state != Waiting {
		return
	}
	t.enterWaiting(now, unit, false)
}

func (t *Timer) persistent() bool { return t.cfg.Persistent && len(t.cfg.OnCalendar) > 0 }

func (t *Timer) active() bool {
	return t.state == Waiting || t.state == Running || t.state == Elapsed
}

func (t *Timer) setState(s State) {
	t.state = s
	if s != Waiting {
		t.nextReal, t.nextMono, t.hasMono = time.Time{}, 0, false
	}
}

// enterWaiting plans the next elapse as systemd 252's timer_enter_waiting
// does.
func (t *Timer) enterWaiting(now Dual, unit Unit, timeChange bool) {
	var nextReal time.Time
	var nextMono time.Duration
	foundReal, foundMono, leaveAround := false, false, false

	for _, spec := range t.cfg.OnCalendar {
		// From the last trigger if known, else from the timer's
		// activation, else from now.
		base := now.Real
		switch {
		case !t.lastTrigger.Real.IsZero():
			base = t.lastTrigger.Real
		case t.active():
			base = t.activated.Real
		}
		// On the wall clock of now's zone, as systemd computes in the zone
		// in use: a base taken before a zone change keeps its instant.
		base = base.In(now.Real.Location())
		next, ok := spec.NextCron(base) // cron's DST rules, see the package doc
		if !ok {
			continue
		}
		// A missed elapse runs no earlier than boxinit's start, so that
		// the random delay spreads it too.
		if next.Before(t.env.Startup.Real) {
			next = t.env.Startup.Real
		}
		if !foundReal || next.Before(nextReal) {
			nextReal = next
		}
		foundReal = true
	}

	monotonic := []struct {
		name   string
		values []time.Duration
	}{
		{"OnActiveSec", t.cfg.OnActive},
		{"OnBootSec", t.cfg.OnBoot},
		{"OnStartupSec", t.cfg.OnStartup},
		{"OnUnitActiveSec", t.cfg.OnUnitActive},
		{"OnUnitInactiveSec", t.cfg.OnUnitInactive},
	}
	for _, m := range monotonic {
		for i, d := range m.values {
			key := valueKey{m.name, i}
			if t.disabled[key] {
				continue
			}
			var base time.Duration
			switch m.name {
			case "OnActiveSec":
				base = now.Mono
				if t.active() {
					base = t.activated.Mono
				}
			case "OnBootSec", "OnStartupSec":
				base = t.env.Startup.Mono
			case "OnUnitActiveSec":
				leaveAround = true
				base = max(unit.Activated, t.lastTrigger.Mono)
				if base <= 0 {
					continue
				}
			case "OnUnitInactiveSec":
				leaveAround = true
				base = max(unit.Deactivated, t.lastTrigger.Mono)
				if base <= 0 {
					continue
				}
			}
			next := base + d
			oneShot := m.name == "OnActiveSec" || m.name == "OnBootSec" || m.name == "OnStartupSec"
			// systemd compares with "<"; "<=" also spends a value whose
			// unit ended within the same microsecond it was started.
			if t.lastTrigger.IsSet() && !timeChange && next <= now.Mono && oneShot {
				t.disabled[key] = true // spent
				continue
			}
			if !foundMono || next < nextMono {
				nextMono = next
			}
			foundMono = true
		}
	}

	if !foundReal && !foundMono {
		if t.cfg.RemainAfterElapse || leaveAround {
			t.setState(Elapsed)
		} else {
			t.setState(Dead)
		}
		return
	}
	t.setState(Waiting)
	if foundMono {
		t.nextMono, t.hasMono = nextMono+t.randomDelay(), true
	}
	if foundReal {
		t.nextReal = nextReal.Add(t.randomDelay())
	}
}

// randomDelay is RandomizedDelaySec='s share: a fresh random value, or with
// FixedRandomDelay= the same value on every start of this timer on this
// machine.
func (t *Timer) randomDelay() time.Duration {
	limit := uint64(t.cfg.RandomizedDelay / time.Microsecond)
	if limit == 0 {
		return 0
	}
	r := t.env.random
	if t.cfg.FixedRandomDelay {
		r = func() uint64 { return FixedDelayHash(t.env.MachineID, t.env.UID == 0, t.env.UID, t.cfg.Name) }
	}
	return time.Duration(r()%limit) * time.Microsecond
}

// fixedDelayKey is the SipHash key systemd uses for FixedRandomDelay=.
var fixedDelayKey = [16]byte{0x51, 0x0a, 0xdb, 0x76, 0x29, 0x51, 0x42, 0xc2, 0x80, 0x35, 0xea, 0xe6, 0x8e, 0x3a, 0x37, 0xbd}

// FixedDelayHash is the hash systemd takes the fixed random delay from:
// SipHash-2-4 of the machine id, whether this is the system instance, the
// uid (little endian, as on x86 and arm64) and the unit name. The delay
// is this modulo RandomizedDelaySec= in microseconds.
func FixedDelayHash(machineID [16]byte, system bool, uid uint32, unit string) uint64 {
	msg := make([]byte, 0, 16+1+4+len(unit))
	msg = append(msg, machineID[:]...)
	if system {
		msg = append(msg, 1)
	} else {
		msg = append(msg, 0)
	}
	msg = binary.LittleEndian.AppendUint32(msg, uid)
	msg = append(msg, unit...)
	return siphash24(fixedDelayKey, msg)
}

// ErrNoMachineID is returned by ReadMachineID when /etc/machine-id is
// missing or empty; systemd then hashes a zero id.
var ErrNoMachineID = errors.New("no machine id")
