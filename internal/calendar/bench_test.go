package calendar

import (
	"testing"
	"time"
)

// BenchmarkNext is the next elapse of typical and of slow events: an
// impossible date searches every year up to 2199.
func BenchmarkNext(b *testing.B) {
	berlin, err := loadZone("/", "Europe/Berlin")
	if err != nil {
		b.Fatal(err)
	}
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, berlin)
	for _, expr := range []string{"*:00/10", "*-*-* 6,18:00", "Mon *-05~07/1", "Mon *-02-29", "*-02-30"} {
		s := MustParse(expr)
		b.Run(expr, func(b *testing.B) {
			for b.Loop() {
				s.Next(base)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	for b.Loop() {
		if _, err := Parse("Mon..Fri *-*-1..7,15/2 06,18:00:00.5 UTC"); err != nil {
			b.Fatal(err)
		}
	}
}
