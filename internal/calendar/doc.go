// Package calendar reads systemd calendar events (systemd.time(7), the
// OnCalendar= values of timer units) and computes when they elapse, the way
// systemd 252 does.
//
// Parse accepts every form systemd 252 accepts and refuses what it refuses:
// weekday names and abbreviations in any case with lists "," and ranges ".."
// (and the old "-"); Y-M-D with "*", values, lists, ranges "a..b",
// repetitions "a/b" and "a..b/c", and "~" counting days from the end of the
// month ("*-02~03" is the third last day of February, "Mon *-05~07/1" the
// last Monday of May); H:M[:S] with fractional seconds; an omitted date is
// "*-*-*", an omitted time "00:00:00"; two-digit years (70..99 are 19xx,
// 0..69 20xx); "@SECONDS"; the shorthands minutely, hourly, daily, weekly,
// monthly, yearly, annually (and "anually"), quarterly, semiannually,
// semi-annually, biannually, bi-annually; and a time zone suffix: "UTC" (any
// case) or a name of the tz database, read from /usr/share/zoneinfo under the
// Parser's Root. Spec.String is the normalized form `systemd-analyze calendar`
// prints.
//
// Spec.Next is the first elapse strictly after a time, or none ("never":
// "*-02-30", a year range that is over). An expression without a zone runs
// on the wall clock of the time passed to Next (time.Local in boxinit, as
// systemd uses /etc/localtime).
//
// # Daylight saving time
//
// systemd walks the wall clock forward from the base time and only takes a
// wall time that exists; boxinit does the same, and testdata/calendar checks
// the results against systemd-analyze 252 in Europe/Berlin, America/New_York,
// Australia/Lord_Howe (30-minute shifts), Europe/Dublin (negative DST),
// America/Sao_Paulo (DST at midnight) and Pacific/Apia (a skipped day):
//
//   - Spring forward: a wall time in the gap does not elapse that day.
//     "*-*-* 02:30" in Europe/Berlin elapses on 2026-03-28 and then on
//     2026-03-30; "*:30" skips 02:30 and elapses at 03:30 CEST. A date that
//     exists only in the gap ("2026-03-29 02:30") never elapses.
//   - Fall back: only the first pass through the repeated hour elapses.
//     "*-*-* 02:30" in Europe/Berlin elapses once on 2026-10-25, at 02:30
//     CEST; "*:30" elapses at 02:30 CEST and then 03:30 CET; even "*:*:00"
//     goes from 02:59 CEST to 03:00 CET, an hour without elapses.
//     The one exception is a base time inside the second pass: the search
//     then continues in the second pass (glibc's mktime keeps the offset of
//     its previous result, and systemd starts from the base time).
//
// cron (internal/cron, as Vixie cron and cronie) differs: a fixed-time job
// in the gap runs once when the clock jumps over it, and wildcard jobs run by
// the clock through the repeated hour. Spec.NextCron computes that rule;
// boxinit's timers use it (internal/timers), Next stays systemd's.
//
// Where boxinit differs from systemd 252: a suffix that is an abbreviation of
// the local zone ("CEST" with TZ=Europe/Berlin) is read by systemd as "this
// wall time with DST on/off"; boxinit reads a suffix only as a zone name
// (CET, EET, MET, WET and EST5EDT are zone names too) and refuses the rest.
package calendar
