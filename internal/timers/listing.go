package timers

import (
	"fmt"
	"time"
)

// NextElapse is the timer's next elapse as one wall-clock time, as
// systemctl list-timers shows it: the earlier of the calendar elapse and
// the monotonic one carried over to the wall clock at now.
func (t *Timer) NextElapse(now Dual) (time.Time, bool) {
	next := t.nextReal
	if t.hasMono {
		converted := now.Real.Add(t.nextMono - now.Mono)
		if next.IsZero() || converted.Before(next) {
			next = converted
		}
	}
	return next, !next.IsZero()
}

// Relative is systemd's relative time ("5h 35min left", "1 week 0 days
// left", "971ms ago"), the LEFT and PASSED columns of list-timers.
func Relative(at, now time.Time) string {
	d, s := at.Sub(now), "left"
	if now.After(at) {
		d, s = now.Sub(at), "ago"
	}
	const (
		day   = 24 * time.Hour
		week  = 7 * day
		month = 2629800 * time.Second  // systemd's USEC_PER_MONTH: 30.44 days
		year  = 31557600 * time.Second // USEC_PER_YEAR: 365.25 days
	)
	plural := func(n time.Duration, one, many string) string {
		if n == 1 {
			return one
		}
		return many
	}
	switch {
	case d >= year:
		y, m := d/year, (d%year)/month
		return fmt.Sprintf("%d %s %d %s %s", y, plural(y, "year", "years"), m, plural(m, "month", "months"), s)
	case d >= month:
		m, dd := d/month, (d%month)/day
		return fmt.Sprintf("%d %s %d %s %s", m, plural(m, "month", "months"), dd, plural(dd, "day", "days"), s)
	case d >= week:
		w, dd := d/week, (d%week)/day
		return fmt.Sprintf("%d %s %d %s %s", w, plural(w, "week", "weeks"), dd, plural(dd, "day", "days"), s)
	case d >= 2*day:
		return fmt.Sprintf("%d days %s", d/day, s)
	case d >= 25*time.Hour:
		return fmt.Sprintf("1 day %dh %s", (d-day)/time.Hour, s)
	case d >= 6*time.Hour:
		return fmt.Sprintf("%dh %s", d/time.Hour, s)
	case d >= time.Hour:
		return fmt.Sprintf("%dh %dmin %s", d/time.Hour, (d%time.Hour)/time.Minute, s)
	case d >= 5*time.Minute:
		return fmt.Sprintf("%dmin %s", d/time.Minute, s)
	case d >= time.Minute:
		return fmt.Sprintf("%dmin %ds %s", d/time.Minute, (d%time.Minute)/time.Second, s)
	case d >= time.Second:
		return fmt.Sprintf("%ds %s", d/time.Second, s)
	case d >= time.Millisecond:
		return fmt.Sprintf("%dms %s", d/time.Millisecond, s)
	case d >= time.Microsecond:
		return fmt.Sprintf("%dus %s", d/time.Microsecond, s)
	}
	return "now"
}
