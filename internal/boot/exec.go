package boot

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/boxinit/boxinit/internal/linelog"
	"github.com/boxinit/boxinit/internal/reaper"
	"github.com/boxinit/boxinit/internal/users"
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

// runLogged builds c (inside the root directory) and runs it through the
// reaper with its stdout and stderr going to the log, one record per line
// with the step's name, and returns its exit code. When ctx ends first it
// returns ctx's error at once: the shutdown that follows stops the command
// with everything else. A command still running after --command-timeout
// is stopped (SIGTERM to its session, then SIGKILL) and reported as an
// error.
func (b *Boot) runLogged(ctx context.Context, stepName, what string, c users.Command) (int, error) {
	c.Root = b.cfg.Root
	cmd, err := c.Build()
	if err != nil {
		return -1, err
	}
	log := b.log.With("step", stepName, "command", what)
	timeout := b.cfg.CommandTimeout
	defer b.now.p.Store(nil)
	p, err := linelog.Runner{Start: b.run, Log: log, Mask: b.redact, Grace: outputGrace, Timeout: timeout, KillAfter: killAfter,
		Started: func(p *reaper.Proc) {
			log.Info("command started", "pid", p.Pid, "timeout", timeout)
			b.now.p.Store(&Running{Step: stepName, Command: what, PID: p.Pid, Since: time.Now(), Timeout: timeout})
		}}.Run(ctx, cmd)
	var te *linelog.TimeoutError
	switch {
	case errors.As(err, &te):
		return -1, fmt.Errorf("%s: still running after %s (--command-timeout): stopped", what, timeout)
	case p != nil && err != nil: // ctx ended
		return -1, fmt.Errorf("%s: %w", what, err)
	case err != nil:
		return -1, err
	}
	code := p.ExitCode()
	log.Debug("command exited", "pid", p.Pid, "code", code)
	return code, nil
}
