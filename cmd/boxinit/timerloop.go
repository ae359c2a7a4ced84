package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/boxinit/boxinit/internal/services"
	"github.com/boxinit/boxinit/internal/timers"
)

// The timer loop sleeps until the next elapse and nothing else wakes it:
// the wall-clock elapse and a clock set come from a CLOCK_REALTIME timerfd
// (timers.WallAlarm), a monotonic elapse from a Go timer, a unit's change
// from the services Manager (unitChanged), a start or stop of a timer from
// poke. An idle container with timers loaded costs no CPU.

// run starts the wanted timers and runs the loop until ctx ends.
func (h *timerHost) run(ctx context.Context) {
	for _, n := range h.bootTimers() {
		if err := h.startTimer(n); err != nil {
			h.log.Error("timer not started", "timer", n, "err", err)
		}
	}
	alarm, err := h.openAlarm()
	if err != nil {
		h.log.Warn("timers: the kernel does not tell clock steps; one is seen at the next wake-up only", "err", err)
		alarm = nil
	}
	alarms := make(chan bool, 1) // true: the wall clock was set
	if alarm != nil {
		defer alarm.Close()
		go func() {
			for {
				stepped, err := alarm.Wait()
				if err != nil {
					return // closed
				}
				select {
				case alarms <- stepped:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	zones, closeZones := h.watchZones() // nil when TZ is set or there is no watch
	defer closeZones()
	last := h.current()
	for {
		h.mu.Lock()
		armed := make([]*timers.Timer, 0, len(h.entries))
		for _, e := range h.entries {
			armed = append(armed, e.t)
		}
		real, realOK, mono, monoOK := timers.NextWake(armed, h.perturb)
		h.mu.Unlock()

		now := h.current()
		var realC, monoC <-chan time.Time
		var stops []func() bool
		if alarm != nil {
			at := time.Time{} // no elapse: wake on a clock set only
			if realOK {
				at = real
			}
			if err := alarm.Set(at); err != nil {
				h.log.Error("timers: cannot arm the wall-clock alarm", "err", err)
			}
		} else if realOK {
			t := time.NewTimer(max(real.Sub(now.Real), 0))
			realC, stops = t.C, append(stops, t.Stop)
		}
		if monoOK {
			t := time.NewTimer(max(mono-now.Mono, 0))
			monoC, stops = t.C, append(stops, t.Stop)
		}
		stepped, rezoned := false, false
		select {
		case <-ctx.Done():
			for _, stop := range stops {
				stop()
			}
			return
		case <-h.wake:
		case stepped = <-alarms:
		case <-zones:
			rezoned = h.reloadZone()
		case <-realC:
		case <-monoC:
		}
		for _, stop := range stops {
			stop()
		}
		d := h.current()
		if alarm == nil {
			// Without the kernel's word: the wall clock moved apart from
			// the monotonic one since the last wake-up.
			skew := d.Real.Sub(last.Real) - (d.Mono - last.Mono)
			stepped = skew > time.Second || skew < -time.Second
		}
		last = d
		h.tick(d, stepped, rezoned)
	}
}

// watchZones reports changes of /etc/localtime, unless TZ is set: then Go
// and every child take the zone from TZ. The close func ends the watch.
func (h *timerHost) watchZones() (<-chan struct{}, func()) {
	if _, set := os.LookupEnv("TZ"); set {
		return nil, func() {}
	}
	open := h.newZones
	if open == nil {
		open = func() (zoneWatch, error) { return timers.NewZoneWatch(h.root) }
	}
	w, err := open()
	if err != nil {
		h.log.Warn("timers: a change of /etc/localtime is not seen; calendar timers keep the zone boxinit started with", "err", err)
		return nil, func() {}
	}
	_, h.zoneData, _ = timers.LoadZone(h.root) // what time.Local was read from
	changes := make(chan struct{}, 1)
	go func() {
		for w.Wait() == nil {
			select {
			case changes <- struct{}{}:
			default: // one pending is enough: the file is read when it is taken
			}
		}
	}()
	return changes, func() { w.Close() }
}

// reloadZone reads /etc/localtime again; true when it holds another zone
// and the timers must plan again (each plan draws RandomizedDelaySec= anew,
// so the same zone written again is no change).
func (h *timerHost) reloadZone() bool {
	z, data, err := timers.LoadZone(h.root)
	if err != nil {
		h.log.Warn("timers: /etc/localtime changed but is no time zone; keeping the one in use", "err", err)
		return false
	}
	if bytes.Equal(data, h.zoneData) {
		return false
	}
	h.zoneData = data
	h.zone.Store(z)
	link, _ := os.Readlink(filepath.Join(h.root, "/etc/localtime"))
	abbr, offset := time.Now().In(z).Zone()
	h.log.Info("time zone changed: calendar timers plan again", "localtime", link, "zone", abbr, "offset", offset)
	return true
}

func (h *timerHost) openAlarm() (wallAlarm, error) {
	if h.newAlarm != nil {
		return h.newAlarm()
	}
	a, err := timers.NewWallAlarm()
	if err != nil {
		return nil, err
	}
	return a, nil
}

// tick moves the timers to d: the units that changed since the last tick
// are told to their timers, a clock step or a new time zone makes every
// timer plan again, and every due timer elapses and starts its unit.
func (h *timerHost) tick(d timers.Dual, stepped, rezoned bool) {
	changed := h.takeChanged()
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.manager()
	for _, name := range changed {
		if m == nil {
			break
		}
		st, err := m.Status(name)
		if err != nil {
			// No such service (Unit= names none): the start failed, the
			// timer waits for its next elapse.
			st = services.Status{Name: name, ActiveState: services.Inactive}
		}
		active := isActive(st)
		for _, e := range h.entries {
			if !names(st, e.unit) {
				continue
			}
			if err == nil {
				e.unitInfo = h.unitOf(st)
			}
			if e.starting && !active {
				continue // the end of this start is told when Start returns
			}
			e.t.UnitChanged(d, e.unitInfo, active)
		}
	}
	for name, e := range h.entries {
		if stepped {
			e.t.ClockChanged(d, e.unitInfo)
		} else if rezoned {
			e.t.ZoneChanged(d, e.unitInfo)
		}
		fire, err := e.t.Elapse(d)
		if err != nil {
			h.log.Warn("timer: stamp", "timer", name, "err", err)
		}
		if !fire || m == nil {
			continue
		}
		h.log.Info("timer elapsed", "timer", name, "unit", e.unit)
		e.starting = true
		go func() {
			if err := m.Start(context.Background(), e.unit); err != nil {
				h.log.Warn("timer: unit failed", "timer", name, "unit", e.unit, "err", err)
			}
			h.mu.Lock()
			e.starting = false
			h.mu.Unlock()
			h.unitChanged(e.unit) // it may have ended while starting
		}()
	}
}
