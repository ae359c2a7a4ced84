package units

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Infinity is the duration "infinity" (and, for the start and stop
// timeouts, 0): no limit.
const Infinity = time.Duration(math.MaxInt64)

var timeUnits = []struct {
	names []string
	d     float64 // in nanoseconds
}{
	{[]string{"usec", "us", "µs", "μs"}, 1e3},
	{[]string{"msec", "ms"}, 1e6},
	{[]string{"seconds", "second", "sec", "s"}, 1e9},
	{[]string{"minutes", "minute", "min", "m"}, 60e9},
	{[]string{"hours", "hour", "hr", "h"}, 3600e9},
	{[]string{"days", "day", "d"}, 86400e9},
	{[]string{"weeks", "week", "w"}, 7 * 86400e9},
	{[]string{"months", "month", "M"}, 30.44 * 86400e9},
	{[]string{"years", "year", "y"}, 365.25 * 86400e9},
}

// ParseDuration reads a time span as systemd.time(7) defines it: a number
// of seconds ("90", "1.5"), or numbers with units, summed ("1min 30s",
// "2h30m", "500ms"), or "infinity".
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "infinity" {
		return Infinity, nil
	}
	if s == "" {
		return 0, fmt.Errorf("empty time span")
	}
	var total float64
	rest := s
	for rest != "" {
		rest = strings.TrimLeft(rest, " \t")
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("time span %q: expected a number at %q", s, rest)
		}
		n, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("time span %q: bad number %q", s, rest[:i])
		}
		rest = strings.TrimLeft(rest[i:], " \t")
		j := 0
		for j < len(rest) && !(rest[j] >= '0' && rest[j] <= '9' || rest[j] == '.' || rest[j] == ' ' || rest[j] == '\t') {
			j++
		}
		unit := rest[:j]
		rest = rest[j:]
		mult := 1e9
		if unit != "" {
			mult = 0
			for _, u := range timeUnits {
				for _, name := range u.names {
					if name == unit {
						mult = u.d
					}
				}
			}
			if mult == 0 {
				return 0, fmt.Errorf("time span %q: unknown unit %q", s, unit)
			}
		}
		total += n * mult
	}
	if total >= float64(math.MaxInt64) {
		return Infinity, nil
	}
	return time.Duration(total), nil
}
