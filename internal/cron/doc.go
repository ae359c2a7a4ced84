// Package cron runs the crontabs of a VM — /etc/crontab, /etc/cron.d and
// the users' spool crontabs that `crontab -e` writes — in process, so that
// a container needs no cron daemon.
//
//   - [Parse] reads the system format (five time fields or an @keyword, a
//     user, a command), [ParseUser] the user format (no user field). The
//     time fields follow crontab(5) and Vixie cron's parser (fields.go):
//     names, ranges, lists, steps, day of week 0–7 with 7 for Sunday, and
//     the day-of-month/day-of-week rule where a field starting with `*`
//     (also `*/2`) is unrestricted. boxinit adds @every DURATION. A
//     command follows Vixie's % rule for stdin. NAME=value lines apply to
//     the jobs below them; CRON_TZ sets the zone of their schedules. Bad
//     lines are reported with file:line and skipped.
//   - Sources (sources.go, safety_linux.go): every change of a file is
//     re-read, its good lines run and its bad lines are reported. A system
//     crontab must be a regular file or a symlink to one, owned by root
//     (the symlink too) and not writable by group or others; a user
//     crontab /var/spool/cron/crontabs/USER (or cronie's and Alpine's
//     spools) a regular file owned by USER or root, not writable by group
//     or others, and USER must exist. Anything else is refused whole and
//     reported once per change.
//   - [Scheduler] starts each run through the reaper as the line's user
//     with crontab(5)'s environment (run.go), logs every output line with
//     the job's fields, skips a run while the previous one still runs
//     (unless overlap is allowed), and follows the wall clock of each
//     job's zone across DST changes and clock steps like cron(8)
//     (schedule.go, clock.go).
package cron
