package units

import (
	"testing"
)

// The cost of reading the Debian units (45 files, 17 links) and of the
// boot plan, as PID 1 pays it at boot and at each daemon-reload.
func BenchmarkLoader_DebianUnitsAndBootPlan(b *testing.B) {
	for b.Loop() {
		l, err := NewLoader(debianRoot)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := l.Boot(BootOptions{}); err != nil {
			b.Fatal(err)
		}
		_ = l.Check()
	}
}
