package cron

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refMatcher is a crontab(5) matcher written from the manual page alone,
// independent of fields.go: it asks of each value whether some list element
// of the field text covers it, instead of building bit sets.
type refMatcher struct {
	ok      [5]map[int]bool
	domStar bool
	dowStar bool
}

var refKeywords = map[string]string{ // crontab(5), "instead of the first five fields"
	"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
	"@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}

func newRefMatcher(t *testing.T, spec string) *refMatcher {
	if five, ok := refKeywords[spec]; ok {
		spec = five
	}
	f := strings.Fields(spec)
	require.Len(t, f, 5, spec)
	bounds := [5][2]int{{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 7}}
	names := [5]string{"", "", "", "jan feb mar apr may jun jul aug sep oct nov dec", "sun mon tue wed thu fri sat"}
	m := &refMatcher{domStar: strings.HasPrefix(f[2], "*"), dowStar: strings.HasPrefix(f[4], "*")}
	for i := range f {
		m.ok[i] = map[int]bool{}
		for v := bounds[i][0]; v <= bounds[i][1]; v++ {
			m.ok[i][v] = refCovers(t, f[i], v, bounds[i], names[i])
		}
	}
	return m
}

// refCovers: "a list is a set of numbers (or ranges) separated by commas",
// "ranges of numbers are allowed", "step values can be used in conjunction
// with ranges", "an asterisk stands for first-last".
func refCovers(t *testing.T, text string, v int, bounds [2]int, names string) bool {
	num := func(s string) int {
		for i, n := range strings.Fields(names) {
			if strings.EqualFold(s, n) {
				return i + bounds[0]
			}
		}
		n, err := strconv.Atoi(s)
		require.NoError(t, err, text)
		return n
	}
	for _, elem := range strings.Split(text, ",") {
		rng, step := elem, 1
		if i := strings.Index(elem, "/"); i >= 0 {
			rng = elem[:i]
			step, _ = strconv.Atoi(elem[i+1:])
		}
		first, last := bounds[0], bounds[1]
		if rng != "*" {
			a, b, isRange := strings.Cut(rng, "-")
			first = num(a)
			last = first
			if isRange {
				last = num(b)
			}
		}
		if v >= first && v <= last && (v-first)%step == 0 {
			return true
		}
	}
	return false
}

func (m *refMatcher) at(t time.Time) bool {
	dow := int(t.Weekday())
	if !m.ok[0][t.Minute()] || !m.ok[1][t.Hour()] || !m.ok[3][int(t.Month())] {
		return false
	}
	domOK := m.ok[2][t.Day()]
	dowOK := m.ok[4][dow] || (dow == 0 && m.ok[4][7]) // "0 or 7 is Sun"
	if m.domStar || m.dowStar {
		return domOK && dowOK
	}
	return domOK || dowOK // "if both fields are restricted ... either field matches"
}

// TestSchedule_MatchesTheReferenceEveryMinuteOfAYear counts the runs of
// each expression over every minute of 2026 (and 2028, a leap year) with
// fields.go and with the reference matcher: they must agree minute by
// minute. Where the count is known from the calendar, it is checked too.
func TestSchedule_MatchesTheReferenceEveryMinuteOfAYear(t *testing.T) {
	table := []struct {
		spec string
		runs int // in 2026; -1: not known from the calendar alone
	}{
		{"0 16 */2 * sat", 27},   // odd-numbered Saturdays: `*/2` is unrestricted, so both days must match
		{"47 6 * * 7", 52},       // Debian's /etc/crontab cron.weekly: the 52 Sundays of 2026
		{"52 6 1 * *", 12},       // cron.monthly
		{"25 6 * * *", 365},      // cron.daily
		{"17 * * * *", 365 * 24}, // cron.hourly
		{"0 0 13 * 5", 61},       // 12 thirteenths + 52 Fridays - 3 Friday-the-13ths (Feb, Mar, Nov)
		{"0 0 29 2 *", 0},
		{"0 0 31 * *", 7},
		{"0 0 * * 0-7", 365},
		{"0 0 * * 6,7", 104},
		{"0 0 * * 5-7", 156},
		{"0 0 * * 1-7", 365},
		{"0 0 * * */2", -1},
		{"0 0 1 * */2", -1},
		{"0 0 */2 * 1", -1},
		{"0 0 */10 * 1-5", -1},
		{"0 0 1-7 * 1", -1},
		{"0 0 1,15 * 5-7", -1},
		{"0 0 * * 1-7/2", -1},
		{"0 0 * * 0-6/3", -1},
		{"*/15 9-17 * * mon-fri", -1},
		{"0 12 * jan-mar,oct Sun", -1},
		{"0 12 * * SAT,sun", 104},
		{"5-55/10 * * * *", 365 * 24 * 6},
		{"09,39 * * * *", 365 * 24 * 2},
		{"0 */12 * * *", 365 * 2},
		{"30 7-23 * * *", 365 * 17},
		{"30 3 * * 0", 52},
		{"1-59/2 0-23/3 2-30/7 */3 *", -1},
		{"0 0 */5 */2 */3", -1},
		{"@weekly", 52},
		{"@monthly", 12},
		{"@yearly", 1},
		{"@daily", 365},
		{"@hourly", 365 * 24},
	}
	for _, year := range []int{2026, 2028} {
		start := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
		end := start.AddDate(1, 0, 0)
		for _, c := range table {
			s, err := parseSchedule(c.spec)
			require.NoError(t, err, c.spec)
			ref := newRefMatcher(t, c.spec)
			got, want := 0, 0
			for m := start; m.Before(end); m = m.Add(time.Minute) {
				a, b := s.matches(m), ref.at(m)
				if a != b {
					t.Fatalf("%s at %s: boxinit says %v, the reference %v", c.spec, m.Format("2006-01-02 15:04 Mon"), a, b)
				}
				if a {
					got++
				}
				if b {
					want++
				}
			}
			if year == 2026 && c.runs >= 0 {
				assert.Equal(t, c.runs, got, "%s: runs in 2026", c.spec)
			}
			t.Logf("%d %-28s boxinit %6d  reference %6d", year, c.spec, got, want)
		}
	}
}

func TestSchedule_DayOfWeek7IsSundayInRangesAndLists(t *testing.T) {
	for _, spec := range []string{"0 0 * * 7", "0 0 * * 0", "0 0 * * 5-7", "0 0 * * 6,7", "0 0 * * 0-7", "0 0 * * 1-7", "0 0 * * sun"} {
		s, err := parseSchedule(spec)
		require.NoError(t, err, spec)
		assert.True(t, s.matches(time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)), "%s on Sunday 2026-12-06", spec)
	}
	s, err := parseSchedule("0 0 * * 1-7/2") // 1, 3, 5, 7
	require.NoError(t, err)
	assert.True(t, s.matches(time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)), "7 reached by a step is Sunday too")
}

func TestSchedule_RefusesWhatVixieCronAndCronieRefuse(t *testing.T) {
	for spec, want := range map[string]string{
		"0 0 ? * *":       `day of month "?": "?" is not a number 1-31`,
		"5/15 * * * *":    `minute "5/15": 5/15: a step needs a range or * before it (5-59/15 or */15)`,
		"*/0 * * * *":     `minute "*/0": step "0": want a whole number of 1 or more`,
		"*/-1 * * * *":    `minute "*/-1": step "-1": want a whole number of 1 or more`,
		"0 0 * * 8":       `day of week "8": 8 is out of range 0-7`,
		"0 0 0 * *":       `day of month "0": 0 is out of range 1-31`,
		"0 24 * * *":      `hour "24": 24 is out of range 0-23`,
		"0 0 * 13 *":      `month "13": 13 is out of range 1-12`,
		"0 0 * * 5-1":     `day of week "5-1": range 5-1 goes backwards`,
		"0 0 * * 1,":      `day of week "1,": empty list element`,
		"0 0 * * 1-":      `day of week "1-": missing number`,
		"0 0 * * monday":  `day of week "monday": "monday" is neither a number 0-7 nor a name sun-sat`,
		"0 0 * january *": `month "january": "january" is neither a number 1-12 nor a name jan-dec`,
		"0 0 * * L":       `day of week "L": "L" is neither a number 0-7 nor a name sun-sat`,
		"0 0 * *":         `want five time fields, got 4`,
		"0 0 * * * *":     `want five time fields, got 6`,
	} {
		_, err := parseSchedule(spec)
		if assert.Error(t, err, spec) {
			assert.Equal(t, want, err.Error(), spec)
		}
	}
}

func TestSchedule_AcceptsWhatCrontab5Allows(t *testing.T) {
	for _, spec := range []string{"*/90 * * * *", "0-59/90 * * * *", "00 09 * * *", "0 0 * Jan,FEB,mar *", "0 0 * * Mon-Fri/2", "1,2,3-5,*/20 * * * *"} {
		_, err := parseSchedule(spec)
		assert.NoError(t, err, spec)
	}
}

// Cases from robfig/cron's spec_test.go (its facts, in five fields, `?`
// written `*`), checked through the next run boxinit would show.
func TestSchedule_NextRunAgreesWithRobfigsTable(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse("Mon Jan 2 15:04 2006", s)
		require.NoError(t, err)
		return v
	}
	for _, c := range []struct{ from, spec, want string }{
		{"Mon Jul 9 14:45 2012", "*/15 * * * *", "Mon Jul 9 15:00 2012"},
		{"Mon Jul 9 15:45 2012", "20-35/15 * * * *", "Mon Jul 9 16:20 2012"},
		{"Mon Jul 9 23:46 2012", "*/15 * * * *", "Tue Jul 10 00:00 2012"},
		{"Mon Jul 9 23:35 2012", "0 0 9 Apr-Oct *", "Thu Aug 9 00:00 2012"},
		{"Mon Jul 9 23:35 2012", "0 0 */5 Apr,Aug,Oct Mon", "Mon Aug 6 00:00 2012"},
		{"Mon Jul 9 23:35 2012", "0 0 */5 Oct Mon", "Mon Oct 1 00:00 2012"},
		{"Mon Jul 9 23:35 2012", "0 0 * Feb Mon", "Mon Feb 4 00:00 2013"},
		{"Mon Jul 9 23:35 2012", "0 0 29 Feb *", "Mon Feb 29 00:00 2016"},
		{"Mon Jul 9 23:35 2012", "0 0 30 Feb *", ""},
		{"Mon Jul 9 23:35 2012", "0 0 31 Apr *", ""},
		{"Sat Jul 14 23:59 2012", "0 0 1,15 * Sun", "Sun Jul 15 00:00 2012"},
		{"Thu Jun 14 23:59 2012", "0 0 1,15 * Sun", "Fri Jun 15 00:00 2012"},
		{"Sat Jul 14 23:59 2012", "0 0 */2 * Sun", "Sun Jul 15 00:00 2012"},
		{"Sat Jul 14 23:59 2012", "0 0 */10 * Sun", "Sun Oct 21 00:00 2012"}, // both must match: a 1st, 11th, 21st or 31st that is a Sunday
	} {
		s, err := parseSchedule(c.spec)
		require.NoError(t, err, c.spec)
		got := nextRun(&Entry{spec: s, Zone: time.UTC}, at(c.from))
		if c.want == "" {
			assert.True(t, got.IsZero(), "%s from %s: %s", c.spec, c.from, got)
			continue
		}
		assert.Equal(t, c.want, got.Format("Mon Jan 2 15:04 2006"), "%s from %s", c.spec, c.from)
	}
}

// Whatever the parser accepts, it matches as the reference does.
func FuzzSchedule_MatchesTheReference(f *testing.F) {
	for _, s := range []string{"0 16 */2 * sat", "47 6 * * 7", "5-55/10 * * * *", "0 0 1,15 * 5-7", "@weekly", "0 12 * jan-mar,oct Sun"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := parseSchedule(spec)
		if err != nil {
			return
		}
		ref := newRefMatcher(t, strings.ToLower(spec))
		for m := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC); m.Year() == 2026; m = m.Add(7*time.Hour + 13*time.Minute) {
			if s.matches(m) != ref.at(m) {
				t.Fatalf("%q at %s: boxinit %v, reference %v", spec, m, s.matches(m), ref.at(m))
			}
		}
	})
}
