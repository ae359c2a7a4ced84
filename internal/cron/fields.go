package cron

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The five time fields as crontab(5) defines them. robfig/cron's parser is
// not used: it refuses 7 for Sunday, accepts `?` and `5/15` (Vixie cron and
// cronie refuse both), and its star bit is cleared by `*/2`, which turns
// the day-of-month/day-of-week rule upside down. This parser follows
// Vixie cron's entry.c rule by rule:
//
//   - a field is a comma-separated list of elements; an element is `*`, a
//     number, a name (jan–dec, sun–sat: three letters, any case) or a
//     range N-M, each optionally followed by /STEP (STEP ≥ 1) — but a
//     single number takes no step;
//   - day of week is 0–7, 0 and 7 both Sunday (`5-7` is Fri, Sat, Sun);
//   - a day field that starts with `*` is unrestricted (`*/2` included):
//     when either day field is, both must match; when neither is, either
//     may (`0 0 13 * 5` runs on every 13th and every Friday).
type schedule struct {
	minute, hour, dom, month, dow uint64 // bit n set: value n matches (dow 0–6)
	domStar, dowStar              bool
}

type field struct {
	name     string
	min, max int
	names    []string // names[i] stands for min+i
	hint     string   // the names, for errors
}

var (
	monthNames = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
	dayNames   = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun"}
	timeFields = [5]field{
		{"minute", 0, 59, nil, ""},
		{"hour", 0, 23, nil, ""},
		{"day of month", 1, 31, nil, ""},
		{"month", 1, 12, monthNames, "jan-dec"},
		{"day of week", 0, 7, dayNames, "sun-sat"},
	}
	// keywords are crontab(5)'s @ schedules: what they stand for.
	keywords = map[string]string{
		"@yearly":   "0 0 1 1 *",
		"@annually": "0 0 1 1 *",
		"@monthly":  "0 0 1 * *",
		"@weekly":   "0 0 * * 0",
		"@daily":    "0 0 * * *",
		"@midnight": "0 0 * * *",
		"@hourly":   "0 * * * *",
	}
)

// parseSchedule parses five blank-separated time fields or an @keyword of
// keywords.
func parseSchedule(spec string) (*schedule, error) {
	if spec != "" && spec[0] == '@' {
		five, ok := keywords[strings.ToLower(spec)]
		if !ok {
			return nil, fmt.Errorf("unknown keyword %s (want @yearly, @monthly, @weekly, @daily, @hourly, @reboot or @every DURATION)", spec)
		}
		spec = five
	}
	f := strings.Fields(spec)
	if len(f) != 5 {
		return nil, fmt.Errorf("want five time fields, got %d", len(f))
	}
	var bits [5]uint64
	for i, text := range f {
		b, err := timeFields[i].parse(text)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", timeFields[i].name, text, err)
		}
		bits[i] = b
	}
	if bits[4]&(1<<7) != 0 { // 7 is Sunday
		bits[4] = bits[4]&^(1<<7) | 1
	}
	return &schedule{minute: bits[0], hour: bits[1], dom: bits[2], month: bits[3], dow: bits[4],
		domStar: f[2][0] == '*', dowStar: f[4][0] == '*'}, nil
}

func (f field) parse(text string) (uint64, error) {
	var bits uint64
	for _, elem := range strings.Split(text, ",") {
		if elem == "" {
			return 0, errors.New("empty list element")
		}
		rng, stepText, hasStep := strings.Cut(elem, "/")
		lo, hi := f.min, f.max
		if rng != "*" {
			a, b, isRange := strings.Cut(rng, "-")
			var err error
			if lo, err = f.number(a); err != nil {
				return 0, err
			}
			hi = lo
			if isRange {
				if hi, err = f.number(b); err != nil {
					return 0, err
				}
				if hi < lo {
					return 0, fmt.Errorf("range %s goes backwards", rng)
				}
			} else if hasStep {
				return 0, fmt.Errorf("%s: a step needs a range or * before it (%s-%d/%s or */%s)", elem, a, f.max, stepText, stepText)
			}
		}
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 || strings.IndexFunc(stepText, notDigit) >= 0 {
				return 0, fmt.Errorf("step %q: want a whole number of 1 or more", stepText)
			}
			step = n
		}
		for v := lo; v <= hi; v += step {
			bits |= 1 << uint(v)
		}
	}
	return bits, nil
}

// number reads one value: digits, or a name where the field has names.
func (f field) number(s string) (int, error) {
	if s == "" {
		return 0, errors.New("missing number")
	}
	if strings.IndexFunc(s, notDigit) < 0 {
		n, err := strconv.Atoi(s)
		if err != nil || n < f.min || n > f.max {
			return 0, fmt.Errorf("%s is out of range %d-%d", s, f.min, f.max)
		}
		return n, nil
	}
	for i, name := range f.names {
		if strings.EqualFold(s, name) {
			return f.min + i, nil
		}
	}
	if f.names != nil {
		return 0, fmt.Errorf("%q is neither a number %d-%d nor a name %s", s, f.min, f.max, f.hint)
	}
	return 0, fmt.Errorf("%q is not a number %d-%d", s, f.min, f.max)
}

func notDigit(r rune) bool { return r < '0' || r > '9' }

// matches reports whether the schedule fires at the wall minute w.
func (s *schedule) matches(w time.Time) bool {
	return s.minute&(1<<uint(w.Minute())) != 0 && s.hour&(1<<uint(w.Hour())) != 0 && s.matchesDay(w)
}

// matchesDay applies the month and the day-of-month/day-of-week rule.
func (s *schedule) matchesDay(w time.Time) bool {
	if s.month&(1<<uint(w.Month())) == 0 {
		return false
	}
	dom := s.dom&(1<<uint(w.Day())) != 0
	dow := s.dow&(1<<uint(w.Weekday())) != 0
	if s.domStar || s.dowStar {
		return dom && dow
	}
	return dom || dow
}
