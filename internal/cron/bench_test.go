package cron

import (
	"os"
	"testing"
	"time"
)

// BenchmarkJobs_NextRunOfALeapDayJob is what `boxinit status` pays for the
// worst schedule: `0 0 29 2 *` seen from the 1st of March.
func BenchmarkJobs_NextRunOfALeapDayJob(b *testing.B) {
	s, err := parseSchedule("0 0 29 2 *")
	if err != nil {
		b.Fatal(err)
	}
	e := &Entry{spec: s, Zone: time.UTC}
	from := time.Date(2097, 3, 1, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		if nextRun(e, from).IsZero() {
			b.Fatal("no next run")
		}
	}
}

// BenchmarkReload_UnchangedDebianCrontabs is the per-minute cost of
// looking for changes in Debian's /etc/crontab and cron.d when nothing
// changed.
func BenchmarkReload_UnchangedDebianCrontabs(b *testing.B) {
	root := b.TempDir()
	for _, dir := range []string{"../../testdata/cron/debian", "../../testdata/roots/debian"} {
		if err := os.CopyFS(root, os.DirFS(dir)); err != nil {
			b.Fatal(err)
		}
	}
	s, errs := New(Options{Root: root, Sources: []string{"/etc/crontab", "/etc/cron.d"}, Spools: DefaultSpools, Zone: time.UTC})
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	for b.Loop() {
		s.reload(false)
	}
}
