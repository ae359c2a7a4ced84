package reaper

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/boxinit/boxinit/internal/procfs"
)

// ForwardMode says where received signals go.
type ForwardMode string

const (
	// ForwardGroup signals the main command's process group (default), so
	// that `bash -c 'sleep 5; true'` ends on SIGINT as it would in a terminal.
	ForwardGroup ForwardMode = "group"
	// ForwardProcess signals the main process only.
	ForwardProcess ForwardMode = "process"
)

// ParseForwardMode validates the value of --forward-to.
func ParseForwardMode(s string) (ForwardMode, error) {
	switch m := ForwardMode(s); m {
	case ForwardGroup, ForwardProcess:
		return m, nil
	}
	return "", fmt.Errorf("forward-to %q: want group or process", s)
}

// killWait bounds the wait for the reaping of SIGKILLed processes.
const killWait = 2 * time.Second

// Options say how [Reaper.Supervise] runs the main command and stops.
type Options struct {
	Command     []string // main command; empty: idle until SIGTERM/SIGINT/SIGQUIT
	Env         []string // nil: boxinit's own environment
	Dir         string   // working directory of the main command; empty: boxinit's
	GracePeriod time.Duration
	ForwardTo   ForwardMode
	Rewrite     Rewrite
	// OnStop runs first thing when the shutdown starts (remove /ready, stop
	// scheduling cron jobs, stop the services each its own way) and gets
	// the end of the grace period; the blanket SIGTERM follows its return.
	OnStop func(deadline time.Time)
}

// Supervise starts the main command, forwards signals to it and reaps until
// a shutdown signal arrives or the main command exits. Then it stops every
// remaining process within the grace period and returns the exit code:
// the main command's (128+N after signal N), 126/127 when it could not be
// started, 0 when there was none.
func (r *Reaper) Supervise(o Options) int {
	var main *Proc
	var mainDone <-chan struct{}
	code := 0
	<-r.sigs.all // every signal the main command may be sent is caught
	if len(o.Command) > 0 {
		var err error
		main, err = r.startMain(o)
		if err != nil {
			r.log.Error("cannot start the main command", "err", err)
			var se *StartError
			code = 1
			if errors.As(err, &se) {
				code = se.ExitCode()
			}
			r.shutdown(nil, o, "main command did not start")
			return code
		}
		mainDone = main.Done()
		r.setMain(main, o.Command)
		r.log.Info("main command started", "pid", main.Pid, "argv", o.Command)
	} else {
		r.log.Info("no main command: idling until SIGTERM")
	}
	for {
		select {
		case s := <-r.sigs.other:
			sig := s.(syscall.Signal)
			if r.forward(main, sig, o) && isShutdownSignal(sig) {
				r.shutdown(main, o, "received "+SignalName(sig))
				return r.mainCode(main)
			}
		case <-mainDone:
			r.log.Info("main command exited", "pid", main.Pid, "code", ExitCode(main.status))
			r.shutdown(nil, o, "main command exited")
			return r.mainCode(main)
		}
	}
}

func (r *Reaper) mainCode(main *Proc) int {
	if main == nil {
		return 0
	}
	select {
	case <-main.Done():
		return ExitCode(main.status)
	default:
		return 128 + int(unix.SIGKILL) // unkillable (D state): report what was sent
	}
}

func (r *Reaper) startMain(o Options) (*Proc, error) {
	sys := &syscall.SysProcAttr{Setpgid: true}
	if foregroundTTY(0) {
		sys.Foreground = true // tcsetpgrp in the child: job control for `-it bash`
		sys.Ctty = 0
	}
	return r.Start(&Cmd{
		Args:   o.Command,
		Env:    o.Env,
		Dir:    o.Dir,
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		Sys:    sys,
	})
}

// forward sends sig, after rewriting, to the main command. It returns false
// when the rewrite drops the signal: a dropped signal has no other effect.
func (r *Reaper) forward(main *Proc, sig syscall.Signal, o Options) bool {
	if _, named := o.Rewrite[sig]; !named && neverForwarded(sig) {
		return false
	}
	to, ok := o.Rewrite.apply(sig)
	if !ok {
		r.log.Debug("signal dropped by --rewrite", "signal", SignalName(sig))
		return false
	}
	if main == nil {
		return true
	}
	var err error
	if o.ForwardTo == ForwardProcess {
		err = main.Signal(to)
	} else {
		select {
		case <-main.Done():
			err = os.ErrProcessDone
		default:
			err = unix.Kill(-main.Pid, to)
		}
	}
	r.log.Debug("signal forwarded", "signal", SignalName(sig), "sent", SignalName(to), "pid", main.Pid, "err", err)
	return true
}

// shutdown is the stop sequence, as systemd and s6 do it: OnStop; SIGTERM
// to every process at once (the main command has had the stop signal, as
// received or rewritten, and is left out so that a graceful SIGQUIT is not
// turned into a fast SIGTERM); wait until nothing is left or the grace
// period ends; SIGKILL what is left. A main command that ignores SIGTERM
// does not eat its siblings' time to clean up.
func (r *Reaper) shutdown(main *Proc, o Options, why string) {
	start := time.Now()
	deadline := start.Add(o.GracePeriod)
	r.log.Info("shutting down", "reason", why, "grace_period", o.GracePeriod)
	if o.OnStop != nil {
		o.OnStop(deadline)
	}
	if n := r.signalOthers(unix.SIGTERM, main, o.ForwardTo); n != 0 {
		r.log.Info("sent SIGTERM to the other processes", "count", n)
	}
	if !r.waitChildless(deadline, main, o) {
		if main != nil && !isDone(main) {
			r.log.Warn("main command still running after the grace period", "pid", main.Pid)
		}
		n := r.signalAll(unix.SIGKILL)
		r.log.Warn("grace period over: sent SIGKILL", "count", n, "grace_period", o.GracePeriod)
		r.waitChildless(time.Now().Add(killWait), main, o)
	}
	r.log.Info("stopped", "duration", time.Since(start).Round(time.Millisecond), "orphans_reaped", r.Orphans())
}

func isDone(p *Proc) bool {
	select {
	case <-p.Done():
		return true
	default:
		return false
	}
}

// waitChildless waits until boxinit has no child left, reaping meanwhile.
func (r *Reaper) waitChildless(deadline time.Time, main *Proc, o Options) bool {
	r.nudge()
	return r.waitUntil(r.childlessCh(), deadline, main, o)
}

// waitUntil waits for done until deadline. Signals that arrive meanwhile
// still go to the main command while it lives: an impatient second Ctrl-C
// or SIGTERM is not swallowed.
func (r *Reaper) waitUntil(done <-chan struct{}, deadline time.Time, main *Proc, o Options) bool {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return true
		case <-timer.C:
			return false
		case <-tick.C:
			r.nudge()
		case s := <-r.sigs.other:
			r.forward(main, s.(syscall.Signal), o)
		}
	}
}

// signalAll sends sig to every process left: kill(-1) as PID 1 of a PID
// namespace, else each descendant found in /proc. It returns how many
// processes it signalled (-1: all of the namespace, count unknown).
func (r *Reaper) signalAll(sig syscall.Signal) int {
	if r.isInit {
		if err := unix.Kill(-1, sig); err != nil {
			if errors.Is(err, unix.ESRCH) {
				return 0
			}
			r.log.Error("kill(-1) failed", "signal", SignalName(sig), "err", err)
		}
		return -1
	}
	return r.signalEach(sig, func(int) bool { return true })
}

// signalOthers sends sig to every process but the main command (its process
// group, or its process with --forward-to=process) while it runs.
func (r *Reaper) signalOthers(sig syscall.Signal, main *Proc, mode ForwardMode) int {
	if main == nil || isDone(main) || (r.isInit && !procIsOurs()) {
		return r.signalAll(sig) // without our own /proc, kill(-1) is all there is
	}
	return r.signalEach(sig, func(pid int) bool {
		if mode == ForwardProcess {
			return pid != main.Pid
		}
		pgid, err := unix.Getpgid(pid)
		return err != nil || pgid != main.Pid
	})
}

// procIsOurs reports whether /proc shows boxinit's PID namespace (a
// container's does; `unshare --pid` without --mount-proc keeps the host's).
func procIsOurs() bool {
	st, err := procfs.ReadStat("/proc", os.Getpid())
	if err != nil {
		return false
	}
	self, err := os.Readlink("/proc/self")
	return err == nil && self == strconv.Itoa(st.PID)
}

// signalEach signals the processes that pick accepts: as PID 1 every other
// process of the namespace (also those that joined it with `kubectl
// exec`), else boxinit's descendants. It walks /proc until it finds no
// process it has not signalled yet, so that a child forked during the walk
// is not missed.
func (r *Reaper) signalEach(sig syscall.Signal, pick func(pid int) bool) int {
	self := os.Getpid()
	sent := map[int]bool{}
	for round := 0; round < 5; round++ {
		procs, err := procfs.List("/proc")
		if err != nil {
			r.log.Error("cannot list processes", "err", err)
			break
		}
		var pids []int
		if r.isInit {
			for _, p := range procs {
				if p.PID != self {
					pids = append(pids, p.PID)
				}
			}
		} else {
			pids = procfs.Descendants(procs, self)
		}
		fresh := 0
		for _, pid := range pids {
			if sent[pid] || !pick(pid) {
				continue
			}
			sent[pid] = true
			fresh++
			_ = unix.Kill(pid, sig)
		}
		if fresh == 0 {
			break
		}
	}
	return len(sent)
}
