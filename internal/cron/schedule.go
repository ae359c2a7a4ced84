package cron

import (
	"time"
)

// Time decisions. Schedules are matched minute by minute on the wall clock
// of their zone, the way Vixie cron and cronie do, once per real minute:
//
//   - the wall clock moved on by one minute: jobs matching it run;
//   - it jumped forward by up to 3 hours (DST spring forward, NTP step,
//     resume from suspend): fixed-time jobs that matched any skipped minute
//     run once, right away; wildcard jobs (minute or hour starting with
//     '*') run for the current minute only;
//   - it went back by up to 3 hours (DST fall back, clock set back):
//     wildcard jobs keep running by the clock; fixed-time jobs wait until
//     the wall clock passes the latest minute already handled, so a job in
//     the repeated hour runs once;
//   - it moved by more than 3 hours either way: cron(8) takes that as the
//     clock being corrected, "the new time is used immediately": jobs of
//     the current minute run, nothing is caught up or held back, and the
//     step is logged.
//
// @every jobs count real time and follow a step at once (clock.go).
const maxCatchUp = 3 * time.Hour

// wallMinute is a wall-clock time with the zone stripped, truncated to the
// minute: minutes of a day that DST skips or repeats compare as on a clock.
func wallMinute(t time.Time, zone *time.Location) time.Time {
	w := t.In(zone)
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), 0, 0, time.UTC)
}

// isReset reports whether going from the wall minute high to now is a
// clock correction rather than a wake-up or a DST change.
func isReset(high, now time.Time) bool {
	gap := now.Sub(high)
	return gap > maxCatchUp || gap < -maxCatchUp
}

// due decides whether e runs at this tick. high is the latest wall minute
// handled so far in e's zone, now the current one.
func due(e *Entry, high, now time.Time) bool {
	switch gap := now.Sub(high); {
	case isReset(high, now):
		return e.spec.matches(now)
	case gap <= 0: // the clock went back a little
		return e.wildcard && e.spec.matches(now)
	case gap <= time.Minute:
		return e.spec.matches(now)
	case e.wildcard:
		return e.spec.matches(now)
	default: // a forward jump: any skipped minute counts, once
		for m := high.Add(time.Minute); !m.After(now); m = m.Add(time.Minute) {
			if e.spec.matches(m) {
				return true
			}
		}
		return false
	}
}

// lookAhead is how far nextRun searches: `0 0 29 2 *` needs up to 8 years
// (1900 and 2100 are not leap years).
const lookAhead = 8

// nextRun is the next time after t at which a five-field schedule fires on
// the wall clock of its zone, for `boxinit status` and `check`; zero if
// none within lookAhead years. Days that do not match are skipped whole.
func nextRun(e *Entry, t time.Time) time.Time {
	w := wallMinute(t, e.Zone).Add(time.Minute)
	end := w.AddDate(lookAhead, 0, 1)
	for day := time.Date(w.Year(), w.Month(), w.Day(), 0, 0, 0, 0, time.UTC); day.Before(end); day = day.AddDate(0, 0, 1) {
		if !e.spec.matchesDay(day) {
			continue
		}
		for h := 0; h < 24; h++ {
			if e.spec.hour&(1<<uint(h)) == 0 {
				continue
			}
			for m := 0; m < 60; m++ {
				at := day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
				if e.spec.minute&(1<<uint(m)) == 0 || at.Before(w) {
					continue
				}
				return onClock(at, e.Zone)
			}
		}
	}
	return time.Time{}
}

// onClock is the instant of wall minute m in zone; a minute that DST skips
// runs as the clock jumps over it.
func onClock(m time.Time, zone *time.Location) time.Time {
	at := time.Date(m.Year(), m.Month(), m.Day(), m.Hour(), m.Minute(), 0, 0, zone)
	if !wallMinute(at, zone).Equal(m) {
		at, _ = at.ZoneBounds()
	}
	return at
}
