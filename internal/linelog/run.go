package linelog

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/boxinit/boxinit/internal/reaper"
)

// Starter starts children; *reaper.Reaper is one.
type Starter interface {
	Start(*reaper.Cmd) (*reaper.Proc, error)
}

// DefaultGrace is how long a finished command's output may still come when
// Runner.Grace is zero.
const DefaultGrace = time.Second

// Runner runs a command through the reaper (the one owner of wait4) and
// logs its output one record per line: the one runner of boot's hooks and
// customization, cron's jobs and the services' generators.
type Runner struct {
	Start Starter
	// Log carries the caller's attributes (step=, job=, generator=…).
	Log *slog.Logger
	// Mask is applied to every line before it is logged (rc.env's values);
	// nil logs lines as they are.
	Mask func(string) string
	// Streams logs stdout and stderr apart, each line with stream=stdout
	// or stream=stderr; otherwise both share one pipe, in the order the
	// command wrote them.
	Streams bool
	// Grace bounds the wait for output after the command exited: a
	// background grandchild may hold the pipe open for ever.
	Grace time.Duration
	// Timeout stops a command that runs longer (0: never): SIGTERM to its
	// session, SIGKILL KillAfter later (KillAfter 0: SIGKILL at once).
	Timeout, KillAfter time.Duration
	// Stdin is written to the command's standard input ("": /dev/null).
	Stdin string
	// Started is called with the process once it runs (status, logs).
	Started func(p *reaper.Proc)
}

// TimeoutError is a command stopped at its timeout.
type TimeoutError struct{ Timeout time.Duration }

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("still running after %s: stopped", e.Timeout)
}

// Run starts cmd (built with a new session: Setsid, so that its process
// group is its pid) with its output going to the log, and waits for it.
// It returns the process, whose exit status is then known, or an error: a
// *reaper.StartError when it could not start, a *TimeoutError when it was
// stopped at Timeout, ctx's error when ctx ended first — then at once,
// with the command still running (the shutdown that follows stops it).
func (r Runner) Run(ctx context.Context, cmd *reaper.Cmd) (*reaper.Proc, error) {
	emit := func(stream string) func(string) {
		return func(line string) {
			if r.Mask != nil {
				line = r.Mask(line)
			}
			if stream == "" {
				r.Log.Info(line)
			} else {
				r.Log.Info(line, "stream", stream)
			}
		}
	}
	grace := r.Grace
	if grace == 0 {
		grace = DefaultGrace
	}
	var waits []func()
	var ends []*os.File // the write ends, closed once the child has them
	drain := func() {
		for _, wait := range waits {
			wait()
		}
	}
	pipe := func(stream string) (*os.File, error) {
		w, wait, err := Pipe(emit(stream), grace)
		if err != nil {
			return nil, err
		}
		ends, waits = append(ends, w), append(waits, wait)
		return w, nil
	}
	var err error
	if r.Streams {
		if cmd.Stdout, err = pipe("stdout"); err == nil {
			cmd.Stderr, err = pipe("stderr")
		}
	} else if cmd.Stdout, err = pipe(""); err == nil {
		cmd.Stderr = cmd.Stdout
	}
	if err != nil {
		drainClosed(ends, drain)
		return nil, err
	}
	var stdinW *os.File
	if r.Stdin != "" {
		rd, w, err := os.Pipe()
		if err != nil {
			drainClosed(ends, drain)
			return nil, err
		}
		defer rd.Close()
		cmd.Stdin, stdinW = rd, w
	}

	p, err := r.Start.Start(cmd)
	for _, w := range ends {
		w.Close() // the child holds its own copies now
	}
	if err != nil {
		if stdinW != nil {
			stdinW.Close()
		}
		drain()
		return nil, err
	}
	if stdinW != nil {
		go func() {
			_, _ = stdinW.WriteString(r.Stdin)
			stdinW.Close()
		}()
	}
	if r.Started != nil {
		r.Started(p)
	}
	var expired <-chan time.Time
	if r.Timeout > 0 {
		t := time.NewTimer(r.Timeout)
		defer t.Stop()
		expired = t.C
	}
	select {
	case <-p.Done():
		drain()
		return p, nil
	case <-ctx.Done():
		return p, ctx.Err()
	case <-expired:
		r.Log.Error("command still running at its timeout: stopping it", "pid", p.Pid, "timeout", r.Timeout)
		stopSession(p, r.KillAfter)
		drain()
		return p, &TimeoutError{Timeout: r.Timeout}
	}
}

// drainClosed closes the write ends made so far and waits for their readers.
func drainClosed(ends []*os.File, drain func()) {
	for _, w := range ends {
		w.Close()
	}
	drain()
}

// stopSession ends a command started in its own session: SIGTERM to the
// group, SIGKILL to what is left after killAfter (at once when 0). The
// group is signalled only while its leader is not reaped, so the id
// cannot have been reused.
func stopSession(p *reaper.Proc, killAfter time.Duration) {
	signalGroup := func(sig unix.Signal) {
		select {
		case <-p.Done():
		default:
			_ = unix.Kill(-p.Pid, sig)
		}
	}
	if killAfter > 0 {
		signalGroup(unix.SIGTERM)
		select {
		case <-p.Done():
			return
		case <-time.After(killAfter):
		}
	}
	signalGroup(unix.SIGKILL)
	<-p.Done()
}
