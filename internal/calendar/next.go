package calendar

import (
	"time"
)

// Next is the first elapse of s strictly after after, and false if there is
// none before the end of 2199. An expression without a zone suffix runs on
// the wall clock of after's location. The result is in after's location.
func (s *Spec) Next(after time.Time) (time.Time, bool) {
	loc := after.Location()
	switch {
	case s.utc:
		loc = time.UTC
	case s.loc != nil:
		loc = s.loc
	}
	us := after.UnixMicro() + 1
	sec, usec := floorDiv(us, usecs)
	base := time.Unix(sec, 0).In(loc)
	_, off := base.Zone()
	k := &wallClock{loc: loc, guess: off}
	c := civilOf(base)
	c.usec = int(usec)
	c, ok := s.find(k, c)
	if !ok {
		return time.Time{}, false
	}
	at, _ := k.mktime(c)
	return time.Unix(at, int64(c.usec)*1000).In(after.Location()), true
}

// civil is a wall-clock time; fields may be out of range until normalized.
type civil struct {
	year, month, day, hour, min, sec int
	usec                             int // not part of the comparisons
}

func civilOf(t time.Time) civil {
	return civil{t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute(), t.Second(), 0}
}

func (c civil) sameSecond(d civil) bool {
	return c.year == d.year && c.month == d.month && c.day == d.day &&
		c.hour == d.hour && c.min == d.min && c.sec == d.sec
}

// wallClock turns wall times into instants in one zone the way glibc's
// mktime does for systemd: out-of-range fields carry over, a wall time in a
// DST gap moves forward by the size of the gap, and a wall time that occurs
// twice takes the offset of the previous result (the offset of the base
// time at first). That memory is what makes systemd keep to the first pass
// through a repeated hour.
type wallClock struct {
	loc   *time.Location
	guess int // seconds east of UTC of the last result
}

func offsetAt(loc *time.Location, unix int64) int {
	_, off := time.Unix(unix, 0).In(loc).Zone()
	return off
}

// mktime normalizes c in the zone and returns its instant (whole seconds).
func (k *wallClock) mktime(c civil) (int64, civil) {
	u := time.Date(c.year, time.Month(c.month), c.day, c.hour, c.min, c.sec, 0, time.UTC).Unix()
	if k.loc == time.UTC {
		n := civilOf(time.Unix(u, 0).UTC())
		n.usec = c.usec
		return u, n
	}
	at := k.resolve(u)
	t := time.Unix(at, 0).In(k.loc)
	_, k.guess = t.Zone()
	n := civilOf(t)
	n.usec = c.usec
	return at, n
}

// resolve finds the instant of the wall time u (seconds of the wall time
// read as UTC).
func (k *wallClock) resolve(u int64) int64 {
	// As glibc does: read u with the remembered offset, then with the
	// offset in force at that instant; a wall time that occurs twice keeps
	// the remembered offset when it is one of its two.
	o1 := offsetAt(k.loc, u-int64(k.guess))
	o2 := offsetAt(k.loc, u-int64(o1))
	if offsetAt(k.loc, u-int64(o2)) == o2 {
		return u - int64(o2)
	}
	// In a gap: read the wall time with the offset from before the change,
	// which lands after it.
	early := min(u-int64(o1), u-int64(o2))
	return u - int64(offsetAt(k.loc, early))
}

// valid reports whether c is a wall time that exists as it is: no field out
// of range, not in a DST gap, not past maxYear.
func (k *wallClock) valid(c civil) bool {
	if c.year > maxYear {
		return false
	}
	_, n := k.mktime(c)
	return n.sameSecond(c)
}

// find walks the wall clock forward from c to the first time that matches
// s and exists in the zone: each field in turn, from the year down, takes
// its next matching value; when a field has none left, the field above it
// moves on by one and the fields below restart. A field value that makes a
// wall time that does not exist (February 30, 02:30 in a DST gap, second
// 70) counts as no match. This is the search systemd 252's calendarspec.c
// does (later versions go on from the normalized time instead); keeping its
// order keeps its answers in DST changes and for repetitions such as
// "*-*-1/7", which restarts on the 1st of each month.
func (s *Spec) find(k *wallClock, c civil) (civil, bool) {
	for guard := 0; guard < 1_000_000; guard++ {
		_, c = k.mktime(c)

		v, r := match(s.year, c.year, nil)
		c.year = v
		if r > 0 {
			c.month, c.day, c.hour, c.min, c.sec, c.usec = 1, 1, 0, 0, 0, 0
		}
		if r < 0 || !k.valid(c) {
			return c, false
		}

		v, r = match(s.month, c.month, nil)
		c.month = v
		if r > 0 {
			c.day, c.hour, c.min, c.sec, c.usec = 1, 0, 0, 0, 0
		}
		if r < 0 || !k.valid(c) {
			c.year, c.month, c.day, c.hour, c.min, c.sec, c.usec = c.year+1, 1, 1, 0, 0, 0, 0
			continue
		}

		var eom func(int) int
		if s.endOfMonth {
			eom = func(n int) int { return nthLastDay(c.year, c.month, n) }
		}
		v, r = match(s.day, c.day, eom)
		c.day = v
		if r > 0 {
			c.hour, c.min, c.sec, c.usec = 0, 0, 0, 0
		}
		if r < 0 || !k.valid(c) {
			c.month, c.day, c.hour, c.min, c.sec, c.usec = c.month+1, 1, 0, 0, 0, 0
			continue
		}

		if !s.matchesWeekday(k, c) {
			c.day, c.hour, c.min, c.sec, c.usec = c.day+1, 0, 0, 0, 0
			continue
		}

		v, r = match(s.hour, c.hour, nil)
		c.hour = v
		if r > 0 {
			c.min, c.sec, c.usec = 0, 0, 0
		}
		if r < 0 || !k.valid(c) {
			c.day, c.hour, c.min, c.sec, c.usec = c.day+1, 0, 0, 0, 0
			continue
		}

		v, r = match(s.minute, c.min, nil)
		c.min = v
		if r > 0 {
			c.sec, c.usec = 0, 0
		}
		if r < 0 || !k.valid(c) {
			c.hour, c.min, c.sec, c.usec = c.hour+1, 0, 0, 0
			continue
		}

		v, r = match(s.second, c.sec*usecs+c.usec, nil)
		c.sec, c.usec = v/usecs, v%usecs
		if r < 0 || !k.valid(c) {
			c.min, c.sec, c.usec = c.min+1, 0, 0
			continue
		}
		return c, true
	}
	return civil{}, false
}

// match finds the smallest value of list that is at least v. It returns
// that value and 1 if it differs from v, 0 if v matches, -1 if nothing in
// list is at least v (then v comes back unchanged). A nil list matches
// everything. eom, for "~" days, turns "n-th last day" into a day.
func match(list []component, v int, eom func(int) int) (int, int) {
	if list == nil {
		return v, 0
	}
	best, found := 0, false
	for _, c := range list {
		start, stop := c.start, c.stop
		if eom != nil {
			start, stop = eom(start), eom(stop)
			if stop > 0 {
				start, stop = stop, start
			}
		}
		if start >= v {
			if !found || start < best {
				best, found = start, true
			}
		} else if c.repeat > 0 {
			n := start + c.repeat*((v-start+c.repeat-1)/c.repeat)
			if (!found || n < best) && (stop < 0 || n <= stop) {
				best, found = n, true
			}
		}
	}
	switch {
	case !found:
		return v, -1
	case best == v:
		return v, 0
	}
	return best, 1
}

// nthLastDay is the day of month that is the n-th last (1: the last one),
// or -1 when the month is shorter than that.
func nthLastDay(year, month, n int) int {
	days := time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if n < 1 || n > days {
		return -1
	}
	return days - n + 1
}

func (s *Spec) matchesWeekday(k *wallClock, c civil) bool {
	if s.weekdays == 0 {
		return true
	}
	_, n := k.mktime(c)
	wd := (int(time.Date(n.year, time.Month(n.month), n.day, 0, 0, 0, 0, time.UTC).Weekday()) + 6) % 7
	return s.weekdays&(1<<wd) != 0
}

func floorDiv(a, b int64) (q, r int64) {
	q, r = a/b, a%b
	if r < 0 {
		q, r = q-1, r+b
	}
	return q, r
}
