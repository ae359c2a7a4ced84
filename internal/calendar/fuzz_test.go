package calendar

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"time"
)

// FuzzParse: Parse never panics, and a parsed event's normalized form reads
// back as the same schedule, with the same next elapses.
func FuzzParse(f *testing.F) {
	for _, file := range []string{"expressions.txt", "random-expressions.txt"} {
		fh, err := os.Open("../../testdata/calendar/" + file)
		if err != nil {
			f.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			line := sc.Text()
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			f.Add(line[strings.LastIndexByte(line, '\t')+1:])
		}
		fh.Close()
	}
	berlin, err := loadZone("/", "Europe/Berlin")
	if err != nil {
		f.Fatal(err)
	}
	bases := []time.Time{
		time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 10, 25, 0, 59, 59, 999_999_000, time.UTC),
		time.Date(2026, 3, 29, 0, 30, 0, 0, berlin),
		time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC).In(berlin),
	}
	f.Fuzz(func(t *testing.T, expr string) {
		s, err := Parse(expr)
		if err != nil {
			return
		}
		norm := s.String()
		again, err := Parse(norm)
		if err != nil {
			t.Fatalf("%q: normalized form %q does not parse: %v", expr, norm, err)
		}
		if got := again.String(); got != norm {
			t.Fatalf("%q: normalized form %q reads back as %q", expr, norm, got)
		}
		for _, base := range bases {
			n1, ok1 := s.Next(base)
			n2, ok2 := again.Next(base)
			if ok1 != ok2 || !n1.Equal(n2) {
				t.Fatalf("%q after %s: %v %v, its normalized form %q: %v %v", expr, base, n1, ok1, norm, n2, ok2)
			}
			if ok1 && !n1.After(base) {
				t.Fatalf("%q after %s: %s is not after", expr, base, n1)
			}
			if ok1 && !s.matches(n1, base.Location()) {
				t.Fatalf("%q after %s: %s does not match the event", expr, base, n1)
			}
		}
	})
}

// matches reports whether at is a time of s: every field of its wall time
// in s's zone is in its list. It restates the fields' meaning apart from
// the search in next.go.
func (s *Spec) matches(at time.Time, local *time.Location) bool {
	loc := local
	switch {
	case s.utc:
		loc = time.UTC
	case s.loc != nil:
		loc = s.loc
	}
	w := at.In(loc)
	days := time.Date(w.Year(), w.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
	in := func(list []component, v int, eom bool) bool {
		if list == nil {
			return true
		}
		for _, c := range list {
			start, stop := c.start, c.stop
			if eom {
				last := func(n int) int {
					if n < 1 || n > days {
						return -1
					}
					return days - n + 1
				}
				start, stop = last(start), last(stop)
				if stop > 0 {
					start, stop = stop, start
				}
			}
			if v == start || c.repeat > 0 && v > start && (v-start)%c.repeat == 0 && (stop < 0 || v <= stop) {
				return true
			}
		}
		return false
	}
	wd := (int(w.Weekday()) + 6) % 7
	return (s.weekdays == 0 || s.weekdays&(1<<wd) != 0) &&
		in(s.year, w.Year(), false) && in(s.month, int(w.Month()), false) &&
		in(s.day, w.Day(), s.endOfMonth) && in(s.hour, w.Hour(), false) &&
		in(s.minute, w.Minute(), false) && in(s.second, w.Second()*usecs+w.Nanosecond()/1000, false)
}
