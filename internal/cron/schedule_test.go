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

// recorder is a Scheduler over one crontab whose runs are recorded, not
// started; tests drive its clock by calling tick.
type recorder struct {
	*Scheduler
	runs map[string][]time.Time // job line → real start times
	log  *strings.Builder
}

func newRecorder(t *testing.T, crontab string, zone *time.Location) *recorder {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0::/root:/bin/sh\nhuman:x:1000:1000::/home/human:/bin/sh\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc/crontab"), []byte(crontab), 0o644))
	logs := &strings.Builder{}
	s, errs := New(Options{Root: root, Sources: []string{"/etc/crontab"}, Zone: zone,
		Log: slog.New(slog.NewTextHandler(logs, nil))})
	require.Empty(t, errs)
	r := &recorder{Scheduler: s, runs: map[string][]time.Time{}, log: logs}
	s.startRun = func(j *job, _ int, start time.Time) {
		r.runs[j.Spec+" "+j.Command] = append(r.runs[j.Spec+" "+j.Command], start)
		j.running = false
	}
	return r
}

// ticks runs the clock from `from` to `to`, one tick per real minute.
func (r *recorder) ticks(from, to time.Time) {
	r.prime(from)
	for t := from.Add(time.Minute); !t.After(to); t = t.Add(time.Minute) {
		r.tick(t)
	}
}

func wall(times []time.Time, zone *time.Location) []string {
	var out []string
	for _, t := range times {
		out = append(out, t.In(zone).Format("01-02 15:04 MST"))
	}
	return out
}

func mustZone(t *testing.T, name string) *time.Location {
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

func TestSchedule_SpringForwardRunsAJobOfTheSkippedHourOnceRightAfterTheJump(t *testing.T) {
	berlin := mustZone(t, "Europe/Berlin") // 2026-03-29 02:00 CET → 03:00 CEST
	r := newRecorder(t, "30 2 * * * root skipped\n0 3 * * * root three\n*/30 * * * * root clock\n", berlin)
	r.ticks(time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC), time.Date(2026, 3, 29, 3, 0, 0, 0, time.UTC))
	assert.Equal(t, []string{"03-29 03:00 CEST"}, wall(r.runs["30 2 * * * skipped"], berlin))
	assert.Equal(t, []string{"03-29 03:00 CEST"}, wall(r.runs["0 3 * * * three"], berlin))
	assert.Equal(t, []string{"03-29 00:30 CET", "03-29 01:00 CET", "03-29 01:30 CET", "03-29 03:00 CEST", "03-29 03:30 CEST", "03-29 04:00 CEST", "03-29 04:30 CEST", "03-29 05:00 CEST"},
		wall(r.runs["*/30 * * * * clock"], berlin), "a wildcard job follows the clock: no catch-up for 02:00 and 02:30")
}

func TestSchedule_FallBackRunsAFixedTimeJobOfTheRepeatedHourOnce(t *testing.T) {
	berlin := mustZone(t, "Europe/Berlin") // 2026-10-25 03:00 CEST → 02:00 CET
	r := newRecorder(t, "30 2 * * * root repeated\n*/30 * * * * root clock\n", berlin)
	r.ticks(time.Date(2026, 10, 24, 23, 0, 0, 0, time.UTC), time.Date(2026, 10, 25, 3, 0, 0, 0, time.UTC))
	assert.Equal(t, []string{"10-25 02:30 CEST"}, wall(r.runs["30 2 * * * repeated"], berlin))
	assert.Equal(t, []string{"10-25 01:30 CEST", "10-25 02:00 CEST", "10-25 02:30 CEST", "10-25 02:00 CET", "10-25 02:30 CET", "10-25 03:00 CET", "10-25 03:30 CET", "10-25 04:00 CET"},
		wall(r.runs["*/30 * * * * clock"], berlin), "a wildcard job runs by the clock through both passes of the hour")
}

func TestSchedule_NewYorkFallBackRunsTheJobAt0130Once(t *testing.T) {
	ny := mustZone(t, "America/New_York") // 2026-11-01 02:00 EDT → 01:00 EST
	r := newRecorder(t, "30 1 * * * human once\n", ny)
	r.ticks(time.Date(2026, 11, 1, 3, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC))
	assert.Equal(t, []string{"11-01 01:30 EDT"}, wall(r.runs["30 1 * * * once"], ny))
}

func TestSchedule_NeverRunsAJobTwiceForOneScheduledMinute(t *testing.T) {
	r := newRecorder(t, "* * * * * root every-minute\n", time.UTC)
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	r.prime(start)
	for _, ms := range []time.Duration{60000, 60000, 60500, 61000, 61900, 119000} { // repeated wake-ups
		r.tick(start.Add(ms * time.Millisecond))
	}
	assert.Len(t, r.runs["* * * * * every-minute"], 1)
}

func TestSchedule_AClockStepForwardCatchesUpOnceAndAStepBackDoesNotRepeat(t *testing.T) {
	r := newRecorder(t, "5 12 * * * root fixed\n*/2 * * * * root wild\n", time.UTC)
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	r.prime(t0)
	r.tick(t0.Add(time.Minute))      // 12:01
	r.tick(t0.Add(10 * time.Minute)) // NTP step: 12:10, 12:05 was skipped
	assert.Len(t, r.runs["5 12 * * * fixed"], 1, "the skipped 12:05 run happens once")
	r.tick(t0.Add(4 * time.Minute)) // stepped back to 12:04
	r.tick(t0.Add(5 * time.Minute)) // 12:05 again
	r.tick(t0.Add(6 * time.Minute))
	assert.Len(t, r.runs["5 12 * * * fixed"], 1, "12:05 is not run a second time")
	assert.Equal(t, []string{"01-01 12:10 UTC", "01-01 12:04 UTC", "01-01 12:06 UTC"}, wall(r.runs["*/2 * * * * wild"], time.UTC),
		"wildcard jobs follow the clock after the step back")
}

func TestSchedule_AJumpOfMoreThanThreeHoursIsAClockResetAndSaysSo(t *testing.T) {
	r := newRecorder(t, "0 14 * * * root afternoon\n", time.UTC)
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	r.prime(t0)
	r.tick(t0.Add(5 * time.Hour)) // resume after suspend at 17:00
	assert.Empty(t, r.runs["0 14 * * * afternoon"])
	assert.Contains(t, r.log.String(), "clock stepped by more than 3 hours")
}

func TestMatches_FollowsTheVixieDayOfMonthOrDayOfWeekRule(t *testing.T) {
	for spec, want := range map[string]bool{
		"0 0 13 * 5": true,  // the 13th OR a Friday: 2026-02-13 is both
		"0 0 1 * 5":  true,  // a Friday, not the 1st: either is enough
		"0 0 1 * *":  false, // only the 1st
		"0 0 * * 5":  true,
		"0 0 * * 1":  false,
	} {
		s, err := parseSchedule(spec)
		require.NoError(t, err)
		got := s.matches(time.Date(2026, 2, 13, 0, 0, 0, 0, time.UTC))
		assert.Equal(t, want, got, spec)
	}
}

func TestJobs_ShowsTheNextRunOnTheWallClockOfTheJobsZone(t *testing.T) {
	berlin := mustZone(t, "Europe/Berlin")
	r := newRecorder(t, "30 2 * * * root a\n@every 90s root b\n@reboot root c\n", berlin)
	now := time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC)
	r.prime(now)
	jobs := r.Jobs(now)
	require.Len(t, jobs, 3)
	assert.Equal(t, "2026-03-29 03:00 CEST", jobs[0].NextRun.Format("2006-01-02 15:04 MST"),
		"02:30 does not exist that night: the run comes right after the jump")
	assert.Equal(t, now.Add(90*time.Second), jobs[1].NextRun)
	assert.True(t, jobs[2].NextRun.IsZero())
	assert.Equal(t, 1, jobs[2].Runs, "@reboot ran at start")
}

func TestSchedule_ABigStepBackIsACorrectionAndFixedTimeJobsRunAtTheNewTime(t *testing.T) {
	r := newRecorder(t, "0 12 * * * root noon\n5 12 * * * root five-past\n", time.UTC)
	t0 := time.Date(2026, 1, 1, 18, 0, 0, 0, time.UTC)
	r.prime(t0)
	r.tick(t0.Add(time.Minute))
	back := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC) // the clock is set back six hours
	for m := 0; m <= 5; m++ {
		r.tick(back.Add(time.Duration(m) * time.Minute))
	}
	assert.Equal(t, []string{"01-01 12:00 UTC"}, wall(r.runs["0 12 * * * noon"], time.UTC), "cron(8): the new time is used immediately")
	assert.Equal(t, []string{"01-01 12:05 UTC"}, wall(r.runs["5 12 * * * five-past"], time.UTC))
	assert.Contains(t, r.log.String(), "clock stepped by more than 3 hours")
}

func TestSchedule_EveryJobsFollowAClockStepBackAtOnce(t *testing.T) {
	r := newRecorder(t, "@every 1m root tick\n", time.UTC)
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	r.prime(t0)
	r.tick(t0.Add(time.Minute))
	back := t0.Add(-time.Hour) // stepped back an hour
	for m := 0; m <= 3; m++ {
		r.tick(back.Add(time.Duration(m)*time.Minute + time.Second))
	}
	assert.Equal(t, []string{"01-01 12:01 UTC", "01-01 11:01 UTC", "01-01 11:02 UTC", "01-01 11:03 UTC"}, wall(r.runs["@every 1m tick"], time.UTC),
		"no pause of an hour: the minute after the step runs")
}

func TestSchedule_EveryJobsRunOnceAfterAClockStepForward(t *testing.T) {
	r := newRecorder(t, "@every 1m root tick\n", time.UTC)
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	r.prime(t0)
	r.tick(t0.Add(5 * time.Hour))
	r.tick(t0.Add(5*time.Hour + time.Minute))
	assert.Equal(t, []string{"01-01 17:00 UTC", "01-01 17:01 UTC"}, wall(r.runs["@every 1m tick"], time.UTC))
}

func TestJobs_NextRunLooksUpToEightYearsAhead(t *testing.T) {
	r := newRecorder(t, "0 0 29 2 * root leap\n0 0 30 2 * root never\n", time.UTC)
	jobs := r.Jobs(time.Date(2097, 3, 1, 0, 0, 0, 0, time.UTC))
	assert.Equal(t, "2104-02-29 00:00", jobs[0].NextRun.Format("2006-01-02 15:04"), "2100 is no leap year")
	assert.True(t, jobs[1].NextRun.IsZero(), "February 30th never comes")
}
