package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/boxinit/boxinit/internal/boot"
	"github.com/boxinit/boxinit/internal/reaper"
)

// Boot runs in a child process, `boxinit boot` of the same binary, so that
// PID 1 never faults in the pages of what only boot needs (key generation,
// key imports over HTTPS, git) nor keeps their heap: PID 1 stays as small
// as it idles for the container's life. The child reports each step's
// result, the command it waits for and the host certificates' expiry as
// JSON lines on its standard output, which PID 1 reads into the status
// that `boxinit status` shows, live. The child is an ordinary child of
// PID 1's reaper (one owner of wait4 in each process); its own children
// (hooks, customize commands) are its business until it exits.

// bootReportEnv, set in the child's environment, asks `boxinit boot` for
// the reports on stdout. The child removes it before it reads the
// environment, so that no hook or customize command inherits it.
const bootReportEnv = "BOXINIT_INTERNAL_BOOT_REPORT"

// bootReport is one line of the child's reports.
type bootReport struct {
	Result     *boot.Result  `json:"result,omitempty"`
	Running    *boot.Running `json:"running,omitempty"`
	Idle       bool          `json:"idle,omitempty"` // no command runs now
	CertExpiry time.Time     `json:"cert_expiry,omitzero"`
}

// takeBootReport reports whether this `boxinit boot` is PID 1's boot child,
// and removes the variable that says so.
func takeBootReport() bool {
	_, ok := os.LookupEnv(bootReportEnv)
	_ = os.Unsetenv(bootReportEnv)
	return ok
}

// bootArgs are the arguments of the boot child: `boot`, the flags PID 1
// was given (args less the main command) and the root made absolute.
func bootArgs(args, command []string, root string) []string {
	flags := args[:len(args)-len(command)]
	if n := len(flags); n > 0 && flags[n-1] == "--" {
		flags = flags[:n-1]
	}
	out := append([]string{"boot"}, flags...)
	return append(out, "--root="+root)
}

var (
	// errBootChild is a failed boot child: it has logged why.
	errBootChild = errors.New("boot failed")
	// errNoChild is a boot child that could not start.
	errNoChild = errors.New("cannot start the boot child")
)

// runBoot runs the boot sequence: in a child process when PID 1 runs it
// (mode init), in this process for `boxinit boot`, reporting to PID 1 when
// it is PID 1's boot child.
func runBoot(ctx context.Context, mode string, args []string, cfg *config, bootCfg *boot.Config, r *reaper.Reaper, view *statusView) error {
	if mode == "init" {
		exe, err := os.Executable()
		if err == nil {
			a := bootArgs(args, cfg.command, bootCfg.Root)
			if cfg.bootReadyFile != "" {
				a = append(a, "--ready-file="+cfg.bootReadyFile) // PID 1 touches the real one after the services
			}
			err = bootInChild(ctx, exe, a, r, view)
			if !errors.Is(err, errNoChild) {
				return err
			}
		}
		// No path to this binary, or it cannot run: boot here, as a
		// bigger PID 1.
		cfg.log.Warn("boot runs in PID 1: no boot child", "err", err)
	}
	b := boot.New(bootCfg, cfg.log, r)
	view.setBoot(b)
	if !cfg.bootReport {
		return b.Run(ctx, view.addResult)
	}
	w := &reportWriter{enc: json.NewEncoder(os.Stdout)}
	stop := make(chan struct{})
	polled := make(chan struct{})
	go func() { // the command boot waits for, as it changes
		defer close(polled)
		var last *boot.Running
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			if now := b.Running(); now != last {
				last = now
				w.send(bootReport{Running: now, Idle: now == nil})
			}
		}
	}()
	err := b.Run(ctx, func(res boot.Result) {
		view.addResult(res)
		w.send(bootReport{Result: &res})
	})
	close(stop)
	<-polled
	w.send(bootReport{Idle: true, CertExpiry: b.HostCertExpiry()})
	return err
}

// reportWriter writes reports, one JSON line each, from any goroutine.
type reportWriter struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (w *reportWriter) send(rep bootReport) {
	w.mu.Lock()
	defer w.mu.Unlock()
	_ = w.enc.Encode(rep) // PID 1 gone: the boot is stopped anyway
}

// bootInChild starts `exe args...` through the reaper, relays its reports
// to view and waits for it. It returns ctx's error at once when ctx ends
// (a stop signal): the shutdown that follows stops the child with every
// other process.
func bootInChild(ctx context.Context, exe string, args []string, r *reaper.Reaper, view *statusView) error {
	rd, wr, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("%w: %w", errNoChild, err)
	}
	relay := &bootRelay{}
	view.setBoot(relay)
	p, err := r.Start(&reaper.Cmd{
		Args:   append([]string{exe}, args...),
		Env:    append(os.Environ(), bootReportEnv+"=1"),
		Stdout: wr,
		Stderr: os.Stderr,
	})
	wr.Close()
	if err != nil {
		rd.Close()
		return fmt.Errorf("%w: %s: %w", errNoChild, exe, err)
	}
	read := make(chan struct{})
	go func() { // until the child's end: it never writes to a closed pipe
		defer close(read)
		defer rd.Close()
		sc := bufio.NewScanner(rd)
		sc.Buffer(make([]byte, 4096), 1<<20)
		for sc.Scan() {
			var rep bootReport
			if json.Unmarshal(sc.Bytes(), &rep) != nil {
				continue
			}
			if rep.Result != nil {
				view.addResult(*rep.Result)
			}
			relay.update(rep)
		}
	}()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-p.Done():
	}
	select { // the reports end with the child, unless it left a process holding the pipe
	case <-read:
	case <-time.After(time.Second):
	}
	relay.update(bootReport{Idle: true})
	if code := p.ExitCode(); code != 0 {
		return fmt.Errorf("%w: boxinit boot exited with %d", errBootChild, code)
	}
	return nil
}

// bootRelay is what status shows of a boot that runs in a child process.
type bootRelay struct {
	mu      sync.Mutex
	running *boot.Running
	expiry  time.Time
}

func (b *bootRelay) update(rep bootReport) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if rep.Running != nil || rep.Idle {
		b.running = rep.Running
	}
	if !rep.CertExpiry.IsZero() {
		b.expiry = rep.CertExpiry
	}
}

// Running returns the command the boot child waits for, or nil.
func (b *bootRelay) Running() *boot.Running {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.running
}

// HostCertExpiry is when the first host certificate expires (zero: none).
func (b *bootRelay) HostCertExpiry() time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.expiry
}

// warnOnly keeps the records of h at warning level and above: the boot
// child's reaper has nothing to say at info level that PID 1 does not say
// better ("not PID 1: became a child subreaper" would mislead).
type warnOnly struct{ slog.Handler }

func (w warnOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && w.Handler.Enabled(ctx, l)
}

func (w warnOnly) WithAttrs(attrs []slog.Attr) slog.Handler {
	return warnOnly{w.Handler.WithAttrs(attrs)}
}

func (w warnOnly) WithGroup(name string) slog.Handler { return warnOnly{w.Handler.WithGroup(name)} }
