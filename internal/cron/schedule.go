package cron

import (
	"time"

	robfig "github.com/robfig/cron/v3"
)

// Time decisions. robfig/cron parses the schedules, but its Next is not
// used to run them: it computes instants, which around DST changes and
// clock steps gives double or lost runs. Schedules are matched minute by
// minute on the wall clock of their zone, the way Vixie cron and cronie
// do, once per real minute:
//
//   - the wall clock moved on by one minute: jobs matching it run;
//   - it jumped forward by up to 3 hours (DST spring forward, NTP step,
//     resume from suspend): fixed-time jobs that matched any skipped minute
//     run once, right away; wildcard jobs (minute or hour '*') run for the
//     current minute only;
//   - it jumped forward by more than 3 hours: taken as a clock reset, only
//     the current minute counts (and the jump is logged);
//   - it went back (DST fall back, clock set back): wildcard jobs keep
//     running by the clock; fixed-time jobs wait until the wall clock passes
//     the latest minute already handled, so a job in the repeated hour
//     runs once.
const maxCatchUp = 3 * time.Hour

// wallMinute is a wall-clock time with the zone stripped, truncated to the
// minute: minutes of a day that DST skips or repeats compare as on a clock.
func wallMinute(t time.Time, zone *time.Location) time.Time {
	w := t.In(zone)
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), 0, 0, time.UTC)
}

// matches reports whether a five-field schedule fires at the wall minute w.
func matches(s *robfig.SpecSchedule, w time.Time) bool {
	const starBit = 1 << 63
	if 1<<uint(w.Minute())&s.Minute == 0 || 1<<uint(w.Hour())&s.Hour == 0 || 1<<uint(w.Month())&s.Month == 0 {
		return false
	}
	dom := 1<<uint(w.Day())&s.Dom != 0
	dow := 1<<uint(w.Weekday())&s.Dow != 0
	if s.Dom&starBit != 0 || s.Dow&starBit != 0 {
		return dom && dow
	}
	return dom || dow // Vixie: both restricted means either
}

// due decides whether e runs at this tick. high is the latest wall minute
// handled so far in e's zone, now the current one.
func due(e *Entry, high, now time.Time) bool {
	switch gap := now.Sub(high); {
	case gap <= 0: // the clock went back
		return e.wildcard && matches(e.spec, now)
	case gap <= time.Minute || gap > maxCatchUp:
		return matches(e.spec, now)
	case e.wildcard:
		return matches(e.spec, now)
	default: // a forward jump: any skipped minute counts, once
		for m := high.Add(time.Minute); !m.After(now); m = m.Add(time.Minute) {
			if matches(e.spec, m) {
				return true
			}
		}
		return false
	}
}

// nextRun is the next wall-clock time after t at which a five-field
// schedule fires, for `boxinit status`; zero if none within a year.
func nextRun(e *Entry, t time.Time) time.Time {
	w := wallMinute(t, e.Zone)
	for m := w.Add(time.Minute); m.Before(w.AddDate(1, 0, 1)); m = m.Add(time.Minute) {
		if !matches(e.spec, m) {
			continue
		}
		at := time.Date(m.Year(), m.Month(), m.Day(), m.Hour(), m.Minute(), 0, 0, e.Zone)
		if !wallMinute(at, e.Zone).Equal(m) { // skipped by DST: runs as the clock jumps
			at, _ = at.ZoneBounds()
		}
		return at
	}
	return time.Time{}
}
