// Package boot turns a plain image into the configured system, in this
// order (one file per step):
//
//   - hostname: /etc/hostname, one "127.0.1.1 NAME" line in /etc/hosts,
//     sethostname(2) where permitted (SET_HOSTNAME)
//   - sshd: /run/sshd and per-container host keys (ed25519, ecdsa, rsa 3072)
//     when the image has sshd; host certificates when a CA key is mounted,
//     valid one year and signed again when a quarter is left, for the host
//     name and SSH_HOST_PRINCIPALS (or any name: SSH_HOST_CERT_ANY_NAME)
//   - user: the admin account, its group, home and sudoers rule (DEFAULT_USER*)
//   - keys: DEFAULT_KEY and DEFAULT_KEY_IMPORT into ~/.ssh/authorized_keys
//   - hooks: the executables of --hooks-dir, as root, in lexical order
//   - customize: CUSTOMIZE_REPO + CUSTOMIZE_REPO_COMMAND, CUSTOMIZE_COMMAND
//     and --user-script, as the admin user
//   - ready: touch --ready-file
//
// The configuration is read and validated first ([Load]); nothing changes
// on disk before it is valid. Failures of sshd (no host keys, no sshd),
// user, hooks and ready are fatal; the others are warnings, as in the
// rc.local chart boxinit replaces.
// Every step is idempotent: a second boot changes no file.
package boot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/boxinit/boxinit/internal/linelog"
	"github.com/boxinit/boxinit/internal/sysfile"
	"github.com/boxinit/boxinit/internal/users"
)

// Outcome is how a step ended.
type Outcome string

const (
	OK      Outcome = "ok"      // nothing to change
	Changed Outcome = "changed" // it changed something
	Skipped Outcome = "skipped" // not configured
	Warning Outcome = "warning" // went wrong, boot goes on
	Failed  Outcome = "failed"  // went wrong, boot stops
)

// Result is what one step did, for the log and `boxinit status`. Message
// never holds a value from rc.env.
type Result struct {
	Step     string        `json:"step"`
	Outcome  Outcome       `json:"outcome"`
	Duration time.Duration `json:"duration_ns"`
	Message  string        `json:"message,omitempty"`
}

// Starter starts children; *reaper.Reaper is one.
type Starter = linelog.Starter

// Boot runs the steps against one configuration.
type Boot struct {
	cfg      *Config
	log      *slog.Logger
	run      Starter
	importer *users.Importer
	now      running // the command runLogged runs, for status
	// certExpiry is when the first host certificate expires (Unix
	// seconds; 0: none), for status.
	certExpiry atomic.Int64
}

// redact masks rc.env's values in a line of a child's output.
func (b *Boot) redact(line string) string { return b.cfg.Redact.Redact(line) }

// New prepares a boot of cfg whose children run through run.
func New(cfg *Config, log *slog.Logger, run Starter) *Boot {
	return &Boot{cfg: cfg, log: log, run: run, importer: users.NewImporter(cfg.GitHubURL, cfg.LaunchpadURL)}
}

// step is one boot step; run returns the outcome and a message for the
// log, or an error (see fail).
type step struct {
	name  string
	fatal bool
	// ahead: the step may run while the next ahead steps do (it reads and
	// writes nothing they do, and never stops the boot); its result is
	// still reported first, and it ends before the step after them starts.
	ahead int
	run   func(b *Boot, ctx context.Context) (Outcome, string, error)
}

func (s step) String() string { return s.name }

// fail is how a step reports an error. Whether the error stops the boot is
// for the fatal column of steps to decide, not for the step.
func fail(err error) (Outcome, string, error) { return "", "", err }

var steps = []step{
	// /etc/hostname, /etc/hosts, sethostname: alongside sshd and user.
	// Not keys: a bind-mounted /etc/hosts (Kubernetes) is rewritten in
	// place, and the key imports resolve names; a root hook may read them.
	{"hostname", false, 2, (*Boot).hostname},
	{"sshd", true, 0, (*Boot).sshd},
	{"user", true, 0, (*Boot).user},
	{"keys", false, 0, (*Boot).keys},
	{"hooks", true, 0, (*Boot).hooks},
	{"customize", false, 0, (*Boot).customize},
	{"ready", true, 0, (*Boot).ready},
}

// StepNames lists the steps in order.
func StepNames() []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.name
	}
	return out
}

// Run removes a stale ready file, then runs the steps in order. It stops
// at the first fatal failure, or when ctx is cancelled (SIGTERM during
// boot), with an error "boot: <step>: <cause>"; the ready file then does
// not exist. onResult sees each result as its step ends.
func (b *Boot) Run(ctx context.Context, onResult func(Result)) error {
	if err := RemoveReady(b.cfg); err != nil {
		return fmt.Errorf("boot: remove stale %s: %w", b.cfg.ReadyFile, err)
	}
	for _, dir := range []string{"/etc", "/etc/sudoers.d"} { // left by a boot killed mid-write
		sysfile.RemoveStaleTemps(b.cfg.path(dir))
	}
	var queue []*report // reports not given yet, in the order of the steps
	// give gives the reports in order: all of them when wait is set
	// (waiting for steps still running ahead), else those that are ready.
	// After a failure it gives every report left, waiting for the steps
	// still running, and returns the first failure: no step runs on after
	// Run returns, and every step that ran is reported.
	give := func(wait bool) error {
		var first error
		for len(queue) > 0 {
			r := queue[0]
			if !wait {
				select {
				case <-r.ready:
				default:
					return nil
				}
			}
			<-r.ready
			queue = queue[1:]
			if err := r.give(); err != nil && first == nil {
				first, wait = err, true
			}
		}
		return first
	}
	var waitFor []int // per step running ahead: the index of the step it must end before
	for i, s := range steps {
		for _, until := range waitFor {
			if until <= i {
				if err := give(true); err != nil {
					return err
				}
				waitFor = nil
				break
			}
		}
		start := time.Now()
		r := &report{ready: make(chan struct{})}
		queue = append(queue, r)
		run := func() {
			outcome, msg, err := s.run(b, ctx)
			took := time.Since(start)
			stopped := ctx.Err() // as the step ended: its report may be given later
			r.failed = (err != nil && s.fatal) || stopped != nil
			r.give = func() error { return b.finish(stopped, s, took, outcome, msg, err, onResult) }
			close(r.ready)
		}
		if s.ahead > 0 && i+1 < len(steps) {
			go run()
			waitFor = append(waitFor, i+1+s.ahead)
			continue
		}
		run()
		// A failure stops the boot here, once the steps before have
		// reported; otherwise the reports that are ready are given.
		if err := give(r.failed); err != nil {
			return err
		}
	}
	return give(true)
}

// report is the end of one step, given (logged, passed on) in step order.
type report struct {
	ready  chan struct{} // closed once give and failed are set
	failed bool          // give will stop the boot
	give   func() error
}

// finish reports one step's end: its outcome (an error is a warning, or a
// failure in a fatal step or when the boot was stopped, the context's error,
// as the step ended), the log line, onResult; after a failure it removes
// the ready file and returns the error.
func (b *Boot) finish(stopped error, s step, took time.Duration, outcome Outcome, msg string, err error, onResult func(Result)) error {
	if stopped != nil && err == nil {
		err = stopped
	}
	if err != nil {
		outcome = Warning
		if s.fatal || stopped != nil {
			outcome = Failed
		}
		msg = err.Error()
	}
	res := Result{Step: s.name, Outcome: outcome, Duration: took, Message: msg}
	b.logResult(res)
	if onResult != nil {
		onResult(res)
	}
	if outcome == Failed {
		_ = RemoveReady(b.cfg)
		return fmt.Errorf("boot: %s: %w", s, err)
	}
	return nil
}

func (b *Boot) logResult(r Result) {
	attrs := []any{"step", r.Step, "outcome", r.Outcome, "duration", r.Duration.Round(time.Microsecond)}
	if r.Message != "" {
		attrs = append(attrs, "message", r.Message)
	}
	switch r.Outcome {
	case Failed:
		b.log.Error("boot step failed", attrs...)
	case Warning:
		b.log.Warn("boot step warning", attrs...)
	default:
		b.log.Info("boot step done", attrs...)
	}
}

func (b *Boot) ready(context.Context) (Outcome, string, error) {
	f, err := os.OpenFile(b.cfg.path(b.cfg.ReadyFile), os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fail(err)
	}
	return Changed, "", f.Close()
}

// RemoveReady deletes the ready file: at the start of boot (a stale one),
// after a failed step, and first thing at shutdown.
func RemoveReady(cfg *Config) error {
	err := os.Remove(cfg.path(cfg.ReadyFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}
