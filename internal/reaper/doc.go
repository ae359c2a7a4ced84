// Package reaper does what PID 1 owes a container: it is the one owner of
// wait4, it starts every child that boxinit runs, it forwards signals to the
// main command and it runs the shutdown sequence.
//
//   - [Catch] installs the signal handlers; main calls it before anything else
//     so that a signal that arrives right after exec is queued, not lost.
//   - [Reaper] reaps every child with wait4(-1, WNOHANG) on each SIGCHLD and
//     hands the status to whoever started that pid through [Reaper.Start].
//     Nothing else in boxinit may call Wait on a process: a second waiter
//     steals statuses (the os/exec race every Go init meets).
//   - [Reaper.Adopt] takes over a process boxinit did not start but inherits
//     (a forking daemon's main process, a notify service's MAINPID=): its
//     status comes from the same loop, which remembers the last reaped
//     processes so that one that ended before it was adopted is still found
//     (adopt.go says how the races are handled).
//   - [Reaper.Supervise] runs the main command (or idles), forwards signals
//     and, on SIGTERM/SIGINT/SIGQUIT or when the main command exits, stops
//     everything within the grace period.
//
// As PID 1 of a PID namespace the shutdown signals every process with
// kill(-1, …); otherwise boxinit makes itself a child subreaper and signals
// only its own descendants.
package reaper
