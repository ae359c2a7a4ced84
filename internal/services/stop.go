package services

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/boxinit/boxinit/internal/units"
)

// successExit is systemd's clean exit of a main process: status 0, one of
// SIGHUP, SIGINT, SIGTERM, SIGPIPE, or anything in SuccessExitStatus=.
func (s *service) successExit(e Exit) bool {
	if !e.Known {
		return false
	}
	if e.Signal != 0 {
		switch e.Signal {
		case int(unix.SIGHUP), int(unix.SIGINT), int(unix.SIGTERM), int(unix.SIGPIPE):
			return true
		}
		return s.svc.SuccessExitStatus.HasSignal(e.Signal)
	}
	return e.Code == 0 || s.svc.SuccessExitStatus.HasCode(e.Code)
}

// shouldRestart applies Restart= (systemd.service(5), table 2) to how the
// main process ended; a status in RestartPreventExitStatus= never
// restarts, one in RestartForceExitStatus= always does.
func (s *service) shouldRestart(e Exit, timedOut bool) bool {
	svc := s.svc
	if e.Known {
		if e.Signal != 0 && svc.RestartPreventExitStatus.HasSignal(e.Signal) ||
			e.Signal == 0 && svc.RestartPreventExitStatus.HasCode(e.Code) {
			return false
		}
		if e.Signal != 0 && svc.RestartForceExitStatus.HasSignal(e.Signal) ||
			e.Signal == 0 && svc.RestartForceExitStatus.HasCode(e.Code) {
			return true
		}
	}
	clean := s.successExit(e)
	unclean := !clean && !timedOut
	signal := e.Known && e.Signal != 0 && !clean
	switch svc.Restart {
	case "always":
		return true
	case "on-success":
		return clean
	case "on-failure":
		return unclean || timedOut || !e.Known
	case "on-abnormal":
		return signal || timedOut
	case "on-abort":
		return signal
	}
	return false
}

// drainNotify handles the notify messages queued now (see
// notifySocket.drain); a service without a notify socket has none.
func (s *service) drainNotify() {
	s.mu.Lock()
	n := s.notify
	s.mu.Unlock()
	if n != nil {
		n.drain()
	}
}

// watch waits for the main process of one start to end on its own.
func (s *service) watch(gen int, done <-chan struct{}) {
	<-done
	// What the main process sent before it ended (a MAINPID= handing over
	// to another) is handled before its end is taken as final.
	s.drainNotify()
	s.mu.Lock()
	stale := s.gen != gen || s.stopping || s.mainDone != done // a MAINPID= replaced it
	s.mu.Unlock()
	if stale {
		return
	}
	s.job.Lock()
	defer s.job.Unlock()
	s.mu.Lock()
	stale = s.gen != gen || s.stopping || s.mainDone != done
	e := Exit{}
	if s.mainProc != nil {
		e = exitOfProc(s.mainProc)
	}
	pid := s.mainPID
	if !stale {
		s.lastExit = &e
		s.mainPID, s.mainProc, s.mainDone = 0, nil, nil // $MAINPID is unset for the stop commands
	}
	s.mu.Unlock()
	if stale {
		return
	}
	s.log.Info("main process exited", "pid", pid, "status", e.String())
	s.onMainExit(gen, e)
}

// onMainExit is what follows a main process that ended by itself: the
// stop commands for what is left, then a restart or the final state.
func (s *service) onMainExit(gen int, e Exit) {
	clean := s.successExit(e)
	result := "success"
	switch {
	case clean:
	case e.Known && e.Signal != 0:
		result = "signal"
	default:
		result = "exit-code"
	}
	x, err := s.prepareStop()
	if err == nil {
		x = x.withResult(result, &e)
		s.set(Deactivating, "stop")
		s.stopCommands(context.Background(), x)
		s.killAll(x, deadlineFor(context.Background(), s.svc.TimeoutStop, s.m.now()))
		s.stopPost(x)
	}
	s.mu.Lock()
	s.result = result
	s.mu.Unlock()
	if !s.shouldRestart(e, false) {
		if clean {
			s.set(Inactive, "dead")
		} else {
			s.set(Failed, "failed")
		}
		if s.svc.RuntimePreserve == "no" || s.svc.RuntimePreserve == "" {
			_ = removeRuntimeDirectories(s.m.o.Root, s.svc)
		}
		return
	}
	s.set(Activating, "auto-restart")
	delay := s.svc.RestartDelay
	s.log.Info("restarting", "in", delay)
	go func() {
		time.Sleep(delay)
		s.job.Lock()
		defer s.job.Unlock()
		s.mu.Lock()
		stale := s.gen != gen || s.stopping
		if !stale {
			s.restarts++
		}
		s.mu.Unlock()
		if stale {
			return
		}
		if err := s.startLocked(context.Background()); err != nil && err != errCondition {
			s.log.Warn("restart failed", "err", err)
		}
	}()
}

// prepareStop is the environment of the stop commands: the one of the
// last start, rebuilt (files may have changed, as under systemd).
func (s *service) prepareStop() (*execContext, error) {
	x, err := s.prepareNoNotify()
	if err != nil {
		s.log.Warn("cannot run the stop commands", "err", err)
	}
	return x, err
}

// stop runs the stop job: ExecStop=, the kill of KillMode=, ExecStopPost=.
func (s *service) stop(ctx context.Context) error {
	s.mu.Lock()
	s.gen++
	s.stopping = true
	st := s.state
	s.mu.Unlock()
	if st == Inactive || st == Failed {
		s.set(st, s.snapshot().SubState) // a pending auto-restart is cancelled by gen
		return nil
	}
	x, err := s.prepareStop()
	if err != nil {
		x = &execContext{root: s.m.o.Root, svc: s.svc, self: s.m.o.Self, umask: int(s.svc.UMask), dir: s.m.o.Root}
	}
	x = x.withResult("success", nil)
	began := s.m.now()
	s.set(Deactivating, "stop")
	s.stopCommands(ctx, x)
	clean := s.killAll(x, deadlineFor(ctx, s.svc.TimeoutStop, s.m.now()))
	s.set(Deactivating, "stop-post")
	s.stopPost(x)
	s.mu.Lock()
	if s.mainProc != nil {
		select {
		case <-s.mainProc.Done():
			e := exitOfProc(s.mainProc)
			s.lastExit = &e
		default:
		}
	}
	s.mainPID, s.mainProc, s.mainDone, s.notifyMain = 0, nil, nil, 0
	n := s.notify
	s.notify = nil
	s.mu.Unlock()
	if n != nil {
		n.close() // not under s.mu: it waits for a message being handled, which takes s.mu
	}
	if s.svc.RuntimePreserve != "yes" {
		_ = removeRuntimeDirectories(s.m.o.Root, s.svc)
	}
	if !clean {
		s.fail("timeout")
		return fmt.Errorf("stop %s: processes left after SIGKILL", s.unit.Name)
	}
	s.set(Inactive, "dead")
	s.log.Info("stopped", "duration", s.m.now().Sub(began).Round(time.Millisecond))
	return nil
}

// stopCommands runs ExecStop= while the main process lives (and for a
// oneshot with RemainAfterExit=).
func (s *service) stopCommands(ctx context.Context, x *execContext) {
	for _, c := range s.svc.ExecStop {
		if _, err := s.runControl(x, c, deadlineFor(ctx, s.svc.TimeoutStop, s.m.now())); err != nil && !c.IgnoreFailure {
			s.log.Warn("stop command failed", "err", err)
		}
	}
}

// stopPost runs ExecStopPost=, whatever happened before.
func (s *service) stopPost(x *execContext) {
	if x == nil {
		return
	}
	for _, c := range s.svc.ExecStopPost {
		if _, err := s.runControl(x, c, deadlineFor(context.Background(), s.svc.TimeoutStop, s.m.now())); err != nil && !c.IgnoreFailure {
			s.log.Warn("stop-post command failed", "err", err)
		}
	}
}

// killAll stops what is left of the unit as KillMode= says: KillSignal=
// (and SIGCONT, and SIGHUP with SendSIGHUP=) to the unit's processes
// (control-group), to the main process (process, mixed); then, at the
// deadline, FinalKillSignal= (SIGKILL) to the processes (control-group,
// mixed) or the main one (process), unless SendSIGKILL=no. It reports
// whether nothing of the unit was left.
func (s *service) killAll(x *execContext, deadline time.Time) bool {
	svc := s.svc
	if svc.KillMode == "none" {
		return true
	}
	s.mu.Lock()
	main, mainProc := s.mainPID, s.mainProc
	s.mu.Unlock()
	targets := func(all bool) []int {
		if all {
			return s.processes()
		}
		if mainProc != nil && mainProc.Pid == main {
			select {
			case <-mainProc.Done():
				return nil // reaped: its pid may be another process's now
			default:
				return []int{main}
			}
		}
		if alive(main) {
			return []int{main}
		}
		return nil
	}
	kill := func(pid int, sig unix.Signal) {
		if mainProc != nil && pid == mainProc.Pid {
			_ = mainProc.Signal(sig) // through its pidfd: never a process that reused the pid
			return
		}
		_ = unix.Kill(pid, sig)
	}
	first := svc.KillMode == "control-group"
	sig := svc.KillSignal
	s.mu.Lock()
	if s.restarting && svc.RestartKillSignal != 0 {
		sig = svc.RestartKillSignal
	}
	s.mu.Unlock()
	for _, pid := range targets(first) {
		kill(pid, unix.Signal(sig))
		if svc.SendSIGHUP {
			kill(pid, unix.SIGHUP)
		}
		kill(pid, unix.SIGCONT)
	}
	gone := func() bool { return len(targets(svc.KillMode != "process")) == 0 }
	if s.waitGone(gone, deadline) {
		return true
	}
	if !svc.SendSIGKILL {
		s.log.Warn("processes left after TimeoutStopSec, SendSIGKILL=no")
		return false
	}
	final := targets(svc.KillMode != "process")
	s.log.Warn("stop timed out: sending the final signal", "signal", svc.FinalSignal, "count", len(final))
	for _, pid := range final {
		kill(pid, unix.Signal(svc.FinalSignal))
	}
	return s.waitGone(gone, s.m.now().Add(killWait))
}

func (s *service) waitGone(gone func() bool, deadline time.Time) bool {
	for {
		if gone() {
			return true
		}
		if !deadline.IsZero() && s.m.now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// reload runs ExecReload= with $MAINPID.
func (s *service) reload(ctx context.Context) error {
	if s.snapshot().ActiveState != Active {
		return fmt.Errorf("reload %s: not active", s.unit.Name)
	}
	if len(s.svc.ExecReload) == 0 {
		if s.svc.Type == "notify-reload" {
			_ = unix.Kill(s.snapshot().MainPID, unix.SIGHUP)
			return nil
		}
		return fmt.Errorf("reload %s: %w", s.unit.Name, errNoReload)
	}
	x, err := s.prepareStop()
	if err != nil {
		return fmt.Errorf("reload %s: %w", s.unit.Name, err)
	}
	s.set(Reloading, "reload")
	defer s.set(Active, "running")
	for _, c := range s.svc.ExecReload {
		if _, err := s.runControl(x, c, deadlineFor(ctx, s.svc.TimeoutStart, s.m.now())); err != nil && !c.IgnoreFailure {
			return fmt.Errorf("reload %s: %w", s.unit.Name, err)
		}
	}
	return nil
}

var _ = units.Infinity
