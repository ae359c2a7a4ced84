package calendar

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Bounds systemd puts on calendar events.
const (
	minYear = 1970
	maxYear = 2199
	usecs   = 1_000_000 // microseconds in a second
	// maxComponents bounds a list ("1,2,3,…") as systemd does.
	maxComponents = 240
)

// Spec is a parsed calendar event.
type Spec struct {
	weekdays uint8 // bit 0 Monday … bit 6 Sunday; 0: any day

	// nil means "*". second holds microseconds and is never nil.
	year, month, day, hour, minute, second []component

	endOfMonth bool // day counts back from the end of the month ("~")
	utc        bool
	zone       string         // tz database name; "" with utc or the local zone
	loc        *time.Location // loaded zone, nil without one
}

// component is one element of a list: start, start..stop, start/repeat or
// start..stop/repeat. stop is -1 when there is none; a range without
// repetition repeats by one unit (1 or one second in microseconds).
type component struct {
	start, stop, repeat int
}

// Error is an expression that is not a calendar event.
type Error struct {
	Expr      string // the expression as given
	Component string // "weekday", "year", "month", "day", "hour", "minute", "second", "time zone", …
	Reason    string
}

func (e *Error) Error() string {
	if e.Component == "" {
		return fmt.Sprintf("calendar event %q: %s", e.Expr, e.Reason)
	}
	return fmt.Sprintf("calendar event %q: %s: %s", e.Expr, e.Component, e.Reason)
}

// Parser reads calendar events; time zones come from Root's
// /usr/share/zoneinfo.
type Parser struct {
	Root string // "" or "/" for the running system
}

// Parse reads a calendar event with the running system's time zones.
func Parse(expr string) (*Spec, error) {
	return Parser{}.Parse(expr)
}

// shorthands are the named events and the expressions they stand for.
var shorthands = map[string]string{
	"minutely":      "*-*-* *:*:00",
	"hourly":        "*-*-* *:00:00",
	"daily":         "*-*-* 00:00:00",
	"weekly":        "Mon *-*-* 00:00:00",
	"monthly":       "*-*-01 00:00:00",
	"yearly":        "*-01-01 00:00:00",
	"annually":      "*-01-01 00:00:00",
	"anually":       "*-01-01 00:00:00", // systemd keeps the old misspelling
	"quarterly":     "*-01,04,07,10-01 00:00:00",
	"semiannually":  "*-01,07-01 00:00:00",
	"semi-annually": "*-01,07-01 00:00:00",
	"biannually":    "*-01,07-01 00:00:00",
	"bi-annually":   "*-01,07-01 00:00:00",
}

// Parse reads a calendar event.
func (p Parser) Parse(expr string) (*Spec, error) {
	s := &Spec{}
	ps := &parser{expr: expr, spec: s}
	rest := expr

	// The zone suffix comes first, as in systemd: " UTC" in any case, or
	// a last word that names a zone file.
	if len(rest) >= 4 && strings.EqualFold(rest[len(rest)-4:], " utc") {
		s.utc = true
		rest = rest[:len(rest)-4]
	} else if i := strings.LastIndexByte(rest, ' '); i >= 0 {
		name := rest[i+1:]
		if validZoneName(name) {
			if loc, err := loadZone(p.Root, name); err == nil {
				s.zone, s.loc = name, loc
				rest = rest[:i]
			}
		}
	}
	if rest == "" {
		return nil, ps.fail("", "empty")
	}
	if short, ok := shorthands[strings.ToLower(rest)]; ok {
		rest = short
	}
	ps.s = rest
	if err := ps.parse(); err != nil {
		return nil, err
	}
	s.normalize()
	if err := ps.validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// MustParse is Parse for expressions known to be valid; it panics otherwise.
func MustParse(expr string) *Spec {
	s, err := Parse(expr)
	if err != nil {
		panic(err)
	}
	return s
}

type parser struct {
	expr string // the whole expression, for errors
	s    string // what is left to read
	spec *Spec
}

func (p *parser) fail(component, format string, args ...any) *Error {
	return &Error{Expr: p.expr, Component: component, Reason: fmt.Sprintf(format, args...)}
}

func (p *parser) parse() error {
	if err := p.weekdays(); err != nil {
		return err
	}
	timeFollows, err := p.date()
	if err != nil {
		return err
	}
	if timeFollows {
		if err := p.clock(); err != nil {
			return err
		}
	}
	if p.s != "" {
		return p.fail("", "unexpected %q at the end", p.s)
	}
	return nil
}

var weekdayNames = []struct {
	name string
	nr   int
}{
	{"monday", 0}, {"mon", 0}, {"tuesday", 1}, {"tue", 1}, {"wednesday", 2}, {"wed", 2},
	{"thursday", 3}, {"thu", 3}, {"friday", 4}, {"fri", 4}, {"saturday", 5}, {"sat", 5},
	{"sunday", 6}, {"sun", 6},
}

// weekdays reads an optional list of weekdays and the spaces after it.
func (p *parser) weekdays() error {
	from := -1 // start of an open range
	first := true
	for {
		nr, n := -1, 0
		for _, w := range weekdayNames {
			if len(p.s) >= len(w.name) && strings.EqualFold(p.s[:len(w.name)], w.name) {
				nr, n = w.nr, len(w.name)
				break
			}
		}
		if nr < 0 {
			if first {
				return nil // no weekdays: the date follows
			}
			return p.fail("weekday", "%q is not a weekday", word(p.s))
		}
		if n < len(p.s) && !strings.ContainsRune("-., ", rune(p.s[n])) {
			return p.fail("weekday", "%q is not a weekday", word(p.s))
		}
		p.spec.weekdays |= 1 << nr
		if from >= 0 {
			if from > nr {
				return p.fail("weekday", "range %s..%s goes backwards (weeks start on Monday)", dayNames[from], dayNames[nr])
			}
			for d := from + 1; d < nr; d++ {
				p.spec.weekdays |= 1 << d
			}
		}
		p.s = p.s[n:]
		if p.s == "" {
			return nil
		}
		if p.s[0] == ' ' {
			p.s = strings.TrimLeft(p.s, " ")
			return nil
		}
		switch {
		case p.s[0] == '.':
			if from >= 0 {
				return p.fail("weekday", "a range cannot continue another range")
			}
			if len(p.s) < 2 || p.s[1] != '.' {
				return p.fail("weekday", `a range is written ".."`)
			}
			from = nr
			p.s = p.s[2:]
		case p.s[0] == '-': // ranges with "-" are still accepted
			if from >= 0 {
				return p.fail("weekday", "a range cannot continue another range")
			}
			from = nr
			p.s = p.s[1:]
		case p.s[0] == ',':
			from = -1
			p.s = p.s[1:]
		}
		// A trailing comma is allowed, an open range is not.
		if p.s == "" || p.s[0] == ' ' {
			p.s = strings.TrimLeft(p.s, " ")
			if from >= 0 {
				return p.fail("weekday", "range without an end")
			}
			return nil
		}
		first = false
	}
}

// date reads [[Y-]M-D] or @SECONDS. It reports false after @SECONDS, which
// has no time part. Without a date nothing is consumed.
func (p *parser) date() (bool, error) {
	if p.s == "" {
		return true, nil
	}
	if p.s[0] == '@' {
		return false, p.timestamp()
	}
	if c := p.s[0] | 0x20; c >= 'a' && c <= 'z' {
		return false, p.fail("weekday", "%q is not a weekday", word(p.s))
	}
	t := p.s
	first, err := p.chain(&t, false, "date")
	if err != nil {
		return false, err
	}
	if t == "" || t[0] == ':' {
		return true, nil // it was a time
	}
	switch t[0] {
	case '~':
		p.spec.endOfMonth = true
	case '-':
	default:
		return false, p.fail("date", "unexpected %q", t[:1])
	}
	t = t[1:]
	second, err := p.chain(&t, false, "day")
	if err != nil {
		return false, err
	}
	if t == "" || t[0] == ' ' {
		p.s = strings.TrimLeft(t, " ")
		p.spec.month, p.spec.day = first, second
		return true, nil
	}
	if p.spec.endOfMonth {
		return false, p.fail("date", `"~" must come before the day`)
	}
	switch t[0] {
	case '~':
		p.spec.endOfMonth = true
	case '-':
	default:
		return false, p.fail("day", "unexpected %q", t[:1])
	}
	t = t[1:]
	third, err := p.chain(&t, false, "day")
	if err != nil {
		return false, err
	}
	if t != "" && t[0] != ' ' {
		return false, p.fail("day", "unexpected %q", t[:1])
	}
	p.s = strings.TrimLeft(t, " ")
	p.spec.year, p.spec.month, p.spec.day = first, second, third
	return true, nil
}

// timestamp reads @SECONDS: that second, in UTC.
func (p *parser) timestamp() error {
	digits := p.s[1:]
	n := 0
	for n < len(digits) && isDigit(digits[n]) {
		n++
	}
	if n == 0 {
		return p.fail("timestamp", "no number after @")
	}
	v, err := strconv.ParseUint(digits[:n], 10, 64)
	if err != nil || v > math.MaxInt64/usecs {
		return p.fail("timestamp", "%s is out of range", digits[:n])
	}
	t := time.Unix(int64(v), 0).UTC()
	one := func(v int) []component { return []component{{start: v, stop: -1}} }
	s := p.spec
	s.utc = true
	s.year, s.month, s.day = one(t.Year()), one(int(t.Month())), one(t.Day())
	s.hour, s.minute, s.second = one(t.Hour()), one(t.Minute()), one(t.Second()*usecs)
	p.s = digits[n:]
	return nil
}

// clock reads H:M[:S]; an empty one is 00:00:00.
func (p *parser) clock() error {
	s := p.spec
	zero := []component{{start: 0, stop: -1}}
	if p.s == "" {
		s.hour, s.minute, s.second = zero, zero, zero
		return nil
	}
	t := p.s
	h, err := p.chain(&t, false, "hour")
	if err != nil {
		return err
	}
	if t == "" || t[0] != ':' {
		return p.fail("time", "hour and minute are separated by \":\"")
	}
	t = t[1:]
	m, err := p.chain(&t, false, "minute")
	if err != nil {
		return err
	}
	sec := zero
	if t != "" {
		if t[0] != ':' {
			return p.fail("minute", "unexpected %q", t[:1])
		}
		t = t[1:]
		if sec, err = p.chain(&t, true, "second"); err != nil {
			return err
		}
		if t != "" {
			return p.fail("second", "unexpected %q", t)
		}
	}
	s.hour, s.minute, s.second = h, m, sec
	p.s = t
	return nil
}

// chain reads "*" or a comma-separated list of components from *t. usec
// reads seconds with up to 6 decimals, returned in microseconds.
func (p *parser) chain(t *string, usec bool, what string) ([]component, error) {
	if strings.HasPrefix(*t, "*") {
		*t = (*t)[1:]
		if usec {
			return []component{{start: 0, stop: -1, repeat: usecs}}, nil
		}
		return nil, nil
	}
	var list []component
	for {
		if len(list) > maxComponents {
			return nil, p.fail(what, "more than %d values", maxComponents)
		}
		c := component{stop: -1}
		var err error
		if c.start, err = p.number(t, usec, what); err != nil {
			return nil, err
		}
		if strings.HasPrefix(*t, "..") {
			*t = (*t)[2:]
			if c.stop, err = p.number(t, usec, what); err != nil {
				return nil, err
			}
			c.repeat = 1
			if usec {
				c.repeat = usecs
			}
		}
		if strings.HasPrefix(*t, "/") {
			*t = (*t)[1:]
			if c.repeat, err = p.number(t, usec, what); err != nil {
				return nil, err
			}
			if c.repeat == 0 {
				return nil, p.fail(what, "repetition /0")
			}
		}
		if *t != "" && !strings.ContainsRune(" ,-~:", rune((*t)[0])) {
			return nil, p.fail(what, "unexpected %q", (*t)[:1])
		}
		list = append(list, c)
		if !strings.HasPrefix(*t, ",") {
			return list, nil
		}
		*t = (*t)[1:]
	}
}

// number reads decimal digits, and for seconds a fraction of up to 6
// digits (the 7th rounds); "." followed by "." is a range, not a fraction.
func (p *parser) number(t *string, usec bool, what string) (int, error) {
	s := *t
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	if n == 0 {
		return 0, p.fail(what, "expected a number at %q", word(s))
	}
	v, err := strconv.ParseUint(s[:n], 10, 64)
	if err != nil || v > math.MaxInt32 {
		return 0, p.fail(what, "%s is out of range", s[:n])
	}
	s = s[n:]
	if usec {
		if v > math.MaxInt32/usecs+1 {
			return 0, p.fail(what, "%d is out of range", v)
		}
		v *= usecs
		if len(s) >= 1 && s[0] == '.' && (len(s) < 2 || s[1] != '.') {
			s = s[1:]
			frac, k := 0, 0
			for ; k < 6 && k < len(s) && isDigit(s[k]); k++ {
				frac = frac*10 + int(s[k]-'0')
			}
			if k == 0 {
				return 0, p.fail(what, "expected digits after the decimal point")
			}
			for i := k; i < 6; i++ {
				frac *= 10
			}
			if k == 6 && k < len(s) && s[k] >= '5' && s[k] <= '9' {
				frac++
			}
			for k < len(s) && isDigit(s[k]) {
				k++
			}
			s = s[k:]
			v += uint64(frac)
		}
	}
	if v > math.MaxInt32 {
		return 0, p.fail(what, "%d is out of range", v)
	}
	*t = s
	return int(v), nil
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// word is the start of s up to a separator, for error messages.
func word(s string) string {
	if i := strings.IndexAny(s, " ,.-~:/"); i > 0 {
		return s[:i]
	}
	return s
}

// normalize puts the spec in the form systemd compares and prints: two-digit
// years completed, lists sorted without duplicates, a range's end moved back
// onto its last repetition (a range that then holds one value is that
// value), every weekday the same as none.
func (s *Spec) normalize() {
	if s.weekdays == 0x7f {
		s.weekdays = 0
	}
	if s.endOfMonth && s.day == nil {
		s.endOfMonth = false
	}
	for i := range s.year {
		s.year[i].start = fixYear(s.year[i].start)
		s.year[i].stop = fixYear(s.year[i].stop)
	}
	for _, l := range []*[]component{&s.year, &s.month, &s.day, &s.hour, &s.minute, &s.second} {
		for i := range *l {
			c := &(*l)[i]
			if c.stop > c.start && c.repeat > 0 {
				c.stop -= (c.stop - c.start) % c.repeat
			}
			if c.stop == c.start { // "7..7", "6..10/5": one value
				c.stop, c.repeat = -1, 0
			}
		}
		slices.SortFunc(*l, func(a, b component) int {
			if a.start != b.start {
				return a.start - b.start
			}
			if a.stop != b.stop {
				return a.stop - b.stop
			}
			return a.repeat - b.repeat
		})
		*l = slices.Compact(*l)
	}
}

func fixYear(y int) int {
	switch {
	case y >= 0 && y < 70:
		return y + 2000
	case y >= 70 && y < 100:
		return y + 1900
	}
	return y
}

// validate checks every value against its field's range, as systemd does.
func (p *parser) validate() error {
	s := p.spec
	checks := []struct {
		name     string
		list     []component
		from, to int
		eom      bool
		usec     bool
	}{
		{"year", s.year, minYear, maxYear, false, false},
		{"month", s.month, 1, 12, false, false},
		{"day", s.day, 1, 31, s.endOfMonth, false},
		{"hour", s.hour, 0, 23, false, false},
		{"minute", s.minute, 0, 59, false, false},
		{"second", s.second, 0, 60*usecs - 1, false, true},
	}
	for _, c := range checks {
		for _, v := range c.list {
			if err := v.valid(c.from, c.to, c.eom, c.usec); err != "" {
				return p.fail(c.name, "%s: %s", v.format(2, c.usec), err)
			}
		}
	}
	return nil
}

// valid reports what is wrong with c in [from, to], or "".
func (c component) valid(from, to int, eom, usec bool) string {
	if eom {
		to -= 3 // "~" reaches back 28 days at most
	}
	unit := 1
	if usec {
		unit = usecs
	}
	outOfRange := fmt.Sprintf("out of range %d..%d", from/unit, to/unit)
	if c.start < from || c.start > to {
		return outOfRange
	}
	if c.repeat > to-from {
		return "repetition too large"
	}
	if c.stop >= 0 {
		if c.stop < from || c.stop > to {
			return outOfRange
		}
		if c.start+c.repeat > c.stop {
			return "the range ends before its first repetition"
		}
		return ""
	}
	if eom && c.start-c.repeat < from {
		return "repetition goes past the end of the month"
	}
	if !eom && c.start+c.repeat > to {
		return "repetition goes past the end of the field"
	}
	return ""
}
