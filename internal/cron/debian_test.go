package cron

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Debian's own crontabs (testdata/cron/debian, see ORIGIN there) run for a
// week on the recorder's clock: every line loads, and each runs as often as
// the calendar says.
func TestDebian_StockCrontabsLoadAndRunAWeekAsDebiansCronWould(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.CopyFS(root, os.DirFS("../../testdata/cron/debian")))
	require.NoError(t, os.CopyFS(root, os.DirFS("../../testdata/roots/debian")))
	logs := &strings.Builder{}
	s, errs := New(Options{Root: root, Sources: []string{"/etc/crontab", "/etc/cron.d"}, Zone: time.UTC,
		Log: slog.New(slog.NewTextHandler(logs, nil))})
	require.Empty(t, errs, "Debian's /etc/crontab line 20 has 7 for Sunday")
	runs := map[string]int{}
	var weekly []time.Time
	s.startRun = func(j *job, _ int, start time.Time) {
		runs[j.ID()]++
		if j.ID() == "/etc/crontab:20" {
			weekly = append(weekly, start)
		}
		j.running = false
	}
	start := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC) // a Monday
	s.prime(start.Add(-time.Minute))
	for m := start; m.Before(start.AddDate(0, 0, 7)); m = m.Add(time.Minute) {
		s.tick(m)
	}
	assert.Equal(t, map[string]int{
		"/etc/crontab:18":           168, // 17 * * * *
		"/etc/crontab:19":           7,
		"/etc/crontab:20":           1, // 47 6 * * 7
		"/etc/cron.d/anacron:6":     17 * 7,
		"/etc/cron.d/certbot:17":    14,
		"/etc/cron.d/e2scrub_all:1": 1,
		"/etc/cron.d/e2scrub_all:2": 7,
		"/etc/cron.d/php:14":        2 * 168,
		"/etc/cron.d/sysstat:6":     6 * 168,
		"/etc/cron.d/sysstat:9":     7,
	}, runs, "/etc/crontab:21 (the 1st of the month) does not come that week")
	require.Len(t, weekly, 1)
	assert.Equal(t, "Sun 06:47", weekly[0].Format("Mon 15:04"))

	jobs := s.Jobs(time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC))
	next := map[string]string{}
	for _, j := range jobs {
		next[j.Job] = j.NextRun.Format("Mon 01-02 15:04")
	}
	assert.Equal(t, "Sun 12-06 06:47", next["/etc/crontab:20"])
	assert.Equal(t, "Fri 01-01 06:52", next["/etc/crontab:21"])
	assert.Equal(t, "Wed 12-02 12:05", next["/etc/cron.d/sysstat:6"])
	assert.Equal(t, "Wed 12-02 12:09", next["/etc/cron.d/php:14"])
	assert.Equal(t, filepath.Join("/etc/cron.d", "anacron:6"), jobs[0].Job, "cron.d in lexical order, .placeholder skipped")
}
