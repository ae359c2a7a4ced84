// Package cron runs the system crontabs of a VM — /etc/crontab and
// /etc/cron.d — in process, so that a container needs no cron daemon.
//
//   - [Parse] reads the system format: five time fields (names, ranges,
//     lists, steps, the Vixie day-of-month/day-of-week rule) or @yearly,
//     @monthly, @weekly, @daily, @hourly, @reboot, @every DURATION; a user;
//     a command with Vixie's % rule for stdin. NAME=value lines apply to the
//     jobs below them (SHELL, PATH, CRON_TZ for the schedules; MAILTO is
//     accepted and ignored). Bad lines are reported with file:line and
//     skipped.
//   - [Scheduler] starts each run through the reaper as the line's user,
//     logs every output line with the job's fields, skips a run while the
//     previous one still runs (unless overlap is allowed), re-reads changed
//     crontabs every minute, and follows the wall clock of each job's zone
//     across DST changes and clock steps like cronie (schedule.go).
package cron
