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
	if fh, err := os.Open("../../testdata/calendar/expressions.txt"); err == nil {
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
	bases := []time.Time{
		time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 10, 25, 0, 59, 59, 999_999_000, time.UTC),
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
		}
	})
}
