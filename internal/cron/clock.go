package cron

import (
	"time"
)

// The clock loop: one wake-up per real minute (sooner for @every jobs);
// the rules of what runs are in schedule.go.

// prime sets the clocks at now and runs the @reboot jobs.
func (s *Scheduler) prime(now time.Time) {
	now = now.Round(0)
	s.mu.Lock()
	s.lastReal, s.lastTick = now.Unix()/60, now
	var started []event
	for _, j := range s.jobs() {
		switch {
		case j.reboot:
			started = s.launch(j, now, started)
		case j.every > 0:
			j.nextEvery = now.Truncate(j.every).Add(j.every)
		default:
			s.high[j.Zone.String()] = wallMinute(now, j.Zone)
		}
	}
	s.mu.Unlock()
	s.logAll(started)
}

func (s *Scheduler) loop() {
	defer close(s.done)
	for {
		now := time.Now()
		wake := now.Truncate(time.Minute).Add(time.Minute)
		s.mu.Lock()
		for _, j := range s.jobs() {
			if j.every > 0 && j.nextEvery.Before(wake) {
				wake = j.nextEvery
			}
		}
		s.mu.Unlock()
		timer := time.NewTimer(time.Until(wake))
		select {
		case <-s.stop:
			timer.Stop()
			return
		case <-timer.C:
		}
		s.tick(time.Now())
	}
}

// tick starts what is due at now: @every jobs by real time, calendar jobs
// once per real minute by the wall clock of their zone (see schedule.go).
// Changed crontabs are re-read first, once a minute.
func (s *Scheduler) tick(now time.Time) {
	now = now.Round(0) // the wall clock: its steps are what this follows
	minute := now.Unix() / 60
	s.mu.Lock()
	newMinute := minute != s.lastReal
	s.lastReal = minute
	s.mu.Unlock()
	if newMinute {
		s.reload(false)
	}

	var events []event
	s.mu.Lock()
	steppedBack := now.Before(s.lastTick)
	s.lastTick = now
	for _, j := range s.jobs() {
		if j.every == 0 {
			continue
		}
		if steppedBack || j.nextEvery.IsZero() { // a new job, or the clock went back: count from now
			j.nextEvery = now.Truncate(j.every).Add(j.every)
		}
		if !now.Before(j.nextEvery) {
			events = s.launch(j, now, events)
			j.nextEvery = now.Truncate(j.every).Add(j.every)
		}
	}
	if newMinute {
		events = s.minute(now, events)
	}
	s.mu.Unlock()
	s.logAll(events)
}

// minute starts the calendar jobs due in this real minute. Called with
// s.mu held.
func (s *Scheduler) minute(now time.Time, events []event) []event {
	walls := map[string]time.Time{}
	for _, j := range s.jobs() {
		if j.spec == nil {
			continue
		}
		zone := j.Zone.String()
		w := wallMinute(now, j.Zone)
		walls[zone] = w
		high, ok := s.high[zone]
		if !ok {
			high = w.Add(-time.Minute)
		}
		if due(j.Entry, high, w) {
			events = s.launch(j, now, events)
		}
	}
	for zone, w := range walls {
		high, ok := s.high[zone]
		switch {
		case !ok:
			s.high[zone] = w
		case isReset(high, w):
			events = append(events, event{true, "clock stepped by more than 3 hours: the new time is used immediately", []any{"zone", zone, "from", high, "to", w}})
			s.high[zone] = w
		case w.After(high):
			s.high[zone] = w
		}
	}
	return events
}

// launch starts a run of j unless the previous one still runs (and overlap
// is not allowed). Called with s.mu held; what to log is added to events.
func (s *Scheduler) launch(j *job, now time.Time, events []event) []event {
	if j.running && !s.o.AllowOverlap {
		return append(events, event{false, "previous run still going: run skipped", []any{"job", j.ID(), "user", j.User, "run", j.runs + 1}})
	}
	j.runs++
	j.running = true
	j.lastStart = now
	s.startRun(j, j.runs, now)
	return events
}

func (s *Scheduler) logAll(events []event) {
	for _, e := range events {
		if e.warn {
			s.o.Log.Warn(e.msg, e.args...)
		} else {
			s.o.Log.Info(e.msg, e.args...)
		}
	}
}
