package boot

import (
	"context"
	"fmt"
	"time"

	"github.com/boxinit/boxinit/internal/linelog"
	"github.com/boxinit/boxinit/internal/reaper"
)

// outputGrace is how long a finished command's output may still come
// (from a background grandchild holding the pipe) before it is cut.
const outputGrace = 500 * time.Millisecond

// runLogged runs cmd through the reaper with its stdout and stderr going to
// the log, one record per line with the step's name, and returns its exit
// code. When ctx ends first it returns ctx's error at once: the shutdown
// that follows stops the command with everything else.
func (b *Boot) runLogged(ctx context.Context, stepName, what string, cmd *reaper.Cmd) (int, error) {
	log := b.log.With("step", stepName, "command", what)
	w, wait, err := linelog.Pipe(func(line string) { log.Info(line) }, outputGrace)
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
	select {
	case <-p.Done():
		wait()
		code := p.ExitCode()
		log.Debug("command exited", "pid", p.Pid, "code", code)
		return code, nil
	case <-ctx.Done():
		return -1, fmt.Errorf("%s: %w", what, ctx.Err())
	}
}
