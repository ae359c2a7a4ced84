package calendar

import (
	"testing"
	"time"
)

func TestNextCron_FollowsCronInDSTChangesWhereNextFollowsSystemd(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tz database:", err)
	}
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.In(berlin)
	}
	cases := []struct {
		expr, after   string
		systemd, cron string // "" for never
	}{
		// spring forward 2026-03-29 02:00 CET -> 03:00 CEST
		{"*-*-* 02:30", "2026-03-28T03:00:00+01:00", "2026-03-30T02:30:00+02:00", "2026-03-29T03:00:00+02:00"},
		{"2026-03-29 02:30", "2026-03-28T03:00:00+01:00", "", "2026-03-29T03:00:00+02:00"},
		{"*-*-* 02:00", "2026-03-28T03:00:00+01:00", "2026-03-30T02:00:00+02:00", "2026-03-29T03:00:00+02:00"},
		{"*:30", "2026-03-29T01:45:00+01:00", "2026-03-29T03:30:00+02:00", "2026-03-29T03:30:00+02:00"},
		{"*-*-* 03:30", "2026-03-28T04:00:00+01:00", "2026-03-29T03:30:00+02:00", "2026-03-29T03:30:00+02:00"},
		// the elapse after the jump's catch-up is the next day's
		{"*-*-* 02:30", "2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00", "2026-03-30T02:30:00+02:00"},
		// fall back 2026-10-25 03:00 CEST -> 02:00 CET
		{"*-*-* 02:30", "2026-10-25T02:45:00+02:00", "2026-10-26T02:30:00+01:00", "2026-10-26T02:30:00+01:00"},
		{"*:30", "2026-10-25T02:45:00+02:00", "2026-10-25T03:30:00+01:00", "2026-10-25T02:30:00+01:00"},
		{"*:*:00", "2026-10-25T02:59:30+02:00", "2026-10-25T03:00:00+01:00", "2026-10-25T02:00:00+01:00"},
		// a wildcard already in the second pass goes on by the clock
		{"*:30", "2026-10-25T02:30:00+01:00", "2026-10-25T03:30:00+01:00", "2026-10-25T03:30:00+01:00"},
		// with a zone suffix the zone's changes count
		{"*-*-* 02:30 Europe/Berlin", "2026-03-28T03:00:00Z", "2026-03-30T00:30:00Z", "2026-03-29T01:00:00Z"},
		{"*-*-* 02:30 UTC", "2026-03-28T03:00:00Z", "2026-03-29T02:30:00Z", "2026-03-29T02:30:00Z"},
	}
	for _, c := range cases {
		s, err := Parse(c.expr)
		if err != nil {
			t.Fatal(err)
		}
		after := at(c.after)
		check := func(what string, got time.Time, ok bool, want string) {
			if want == "" {
				if ok {
					t.Errorf("%s %q after %s = %s, want never", what, c.expr, c.after, got.Format(time.RFC3339))
				}
				return
			}
			if w := at(want); !ok || !got.Equal(w) {
				t.Errorf("%s %q after %s = %s (%v), want %s", what, c.expr, c.after, got.Format(time.RFC3339), ok, want)
			}
		}
		n, ok := s.Next(after)
		check("Next", n, ok, c.systemd)
		n, ok = s.NextCron(after)
		check("NextCron", n, ok, c.cron)
	}
}
