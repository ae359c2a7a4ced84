package calendar

import (
	"time"
)

// NextCron is Next with cron's rules for DST changes, which boxinit's
// timers follow so that one container has one set of rules (internal/cron,
// as Vixie cron and cronie):
//
//   - Spring forward: an expression with a fixed hour and minute whose wall
//     time falls in the gap elapses once, at the jump ("*-*-* 02:30" in
//     Europe/Berlin elapses at 03:00 CEST on 2026-03-29; Next skips that
//     day). An expression with "*" as hour or minute does not catch up
//     ("*:30" elapses at 03:30 CEST, as with Next).
//   - Fall back: an expression with a fixed hour and minute elapses once,
//     in the first pass (as Next); one with "*" as hour or minute runs by
//     the clock through the second pass too ("*:30" elapses at 02:30 CEST
//     and again at 02:30 CET; Next goes on to 03:30 CET).
//
// Next stays what systemd 252 computes (the testdata table checks it
// against systemd-analyze).
func (s *Spec) NextCron(after time.Time) (time.Time, bool) {
	n, ok := s.Next(after)
	loc := after.Location()
	switch {
	case s.utc:
		return n, ok
	case s.loc != nil:
		loc = s.loc
	}
	fixed := s.hour != nil && s.minute != nil
	from := after
	limit := after.AddDate(2, 0, 0) // a date that only exists in a gap
	for range 16 {
		_, g := from.In(loc).ZoneBounds()
		if g.IsZero() || ok && g.After(n) || !ok && g.After(limit) {
			return n, ok
		}
		_, before := g.Add(-time.Second).In(loc).Zone()
		_, at := g.In(loc).Zone()
		size := time.Duration(at-before) * time.Second
		var cand time.Time
		var found bool
		switch {
		case size > 0 && fixed: // a gap: a wall time in it elapses at the jump
			if m, mok := s.inOffset(before).Next(g.Add(-time.Microsecond)); mok && m.Before(g.Add(size)) {
				cand, found = g, true
			}
		case size < 0 && !fixed: // a repeat: wildcards run through the second pass
			if m, mok := s.inOffset(at).Next(g.Add(-time.Microsecond)); mok && m.Before(g.Add(-size)) {
				cand, found = m, true
			}
		}
		if found && cand.After(after) && (!ok || cand.Before(n)) {
			return cand.In(after.Location()), true
		}
		from = g
	}
	return n, ok
}

// inOffset is s on a clock with a fixed UTC offset (seconds east).
func (s *Spec) inOffset(offset int) *Spec {
	c := *s
	c.utc, c.zone, c.loc = false, "", time.FixedZone("", offset)
	return &c
}
