package boot

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/boxinit/boxinit/internal/linelog"
	"github.com/boxinit/boxinit/internal/reaper"
)

// outputGrace is how long a finished command's output may still come
// (from a background grandchild holding the pipe) before it is cut.
const outputGrace = 500 * time.Millisecond

// killAfter is how long a command stopped for its timeout gets between
// SIGTERM and SIGKILL.
var killAfter = 5 * time.Second

// Running is the boot command that runs now, for `boxinit status` while
// booting. Command is a hook's file name or the name of a CUSTOMIZE_*
// setting, never a value from rc.env.
type Running struct {
	Step    string        `json:"step"`
	Command string        `json:"command"`
	PID     int           `json:"pid"`
	Since   time.Time     `json:"since"`
	Timeout time.Duration `json:"timeout_ns,omitempty"`
}

// running is what runLogged runs now.
type running struct{ p atomic.Pointer[Running] }

// Running returns the boot command that runs now, or nil.
func (b *Boot) Running() *Running { return b.now.p.Load() }

// runLogged runs cmd through the reaper with its stdout and stderr going to
// the log, one record per line with the step's name, and returns its exit
// code. When ctx ends first it returns ctx's error at once: the shutdown
// that follows stops the command with everything else. A command still
// running after --command-timeout is stopped (SIGTERM to its session, then
// SIGKILL) and reported as an error.
func (b *Boot) runLogged(ctx context.Context, stepName, what string, cmd *reaper.Cmd) (int, error) {
	log := b.log.With("step", stepName, "command", what)
	w, wait, err := linelog.Pipe(func(line string) { log.Info(b.redact(line)) }, outputGrace)
	if err != nil {
		return -1, err
	}
	cmd.Stdout, cmd.Stderr = w, w
	p, err := b.run.Start(cmd)
	w.Close()
	if err != nil {
		wait()
		return -1, err
	}
	timeout := b.cfg.CommandTimeout
	log.Info("command started", "pid", p.Pid, "timeout", timeout)
	b.now.p.Store(&Running{Step: stepName, Command: what, PID: p.Pid, Since: time.Now(), Timeout: timeout})
	defer b.now.p.Store(nil)
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	select {
	case <-p.Done():
		wait()
		code := p.ExitCode()
		log.Debug("command exited", "pid", p.Pid, "code", code)
		return code, nil
	case <-ctx.Done():
		return -1, fmt.Errorf("%s: %w", what, ctx.Err())
	case <-expired:
		log.Error("command still running at its timeout: stopping it", "pid", p.Pid, "timeout", timeout)
		stopSession(p)
		wait()
		return -1, fmt.Errorf("%s: still running after %s (--command-timeout): stopped", what, timeout)
	}
}

// stopSession ends a command started in its own session (Setsid, so its
// process group id is its pid): SIGTERM to the group, SIGKILL to what is
// left after killAfter. The group is signalled only while its leader is
// not reaped, so the id cannot have been reused.
func stopSession(p *reaper.Proc) {
	signalGroup := func(sig unix.Signal) {
		select {
		case <-p.Done():
		default:
			_ = unix.Kill(-p.Pid, sig)
		}
	}
	signalGroup(unix.SIGTERM)
	select {
	case <-p.Done():
	case <-time.After(killAfter):
		signalGroup(unix.SIGKILL)
		<-p.Done()
	}
}
