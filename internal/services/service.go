package services

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/boxinit/boxinit/internal/linelog"
	"github.com/boxinit/boxinit/internal/reaper"
	"github.com/boxinit/boxinit/internal/units"
)

// The states of systemctl's ACTIVE column.
const (
	Inactive     = "inactive"
	Activating   = "activating"
	Active       = "active"
	Deactivating = "deactivating"
	Failed       = "failed"
	Reloading    = "reloading"
)

// Exit is how a process ended.
type Exit struct {
	Code   int  // exit status, when not Signal
	Signal int  // the signal that killed it, or 0
	Known  bool // false: a process boxinit did not start ended, status unknown
}

// exitOfProc is how p ended: unknown when boxinit could not learn it
// (an adopted daemon that its own parent reaped).
func exitOfProc(p *reaper.Proc) Exit {
	if !p.Known() {
		return Exit{}
	}
	return exitOf(p.Wait())
}

func exitOf(ws unix.WaitStatus) Exit {
	if ws.Signaled() {
		return Exit{Signal: int(ws.Signal()), Known: true}
	}
	return Exit{Code: ws.ExitStatus(), Known: true}
}

func (e Exit) String() string {
	switch {
	case !e.Known:
		return "exited (status unknown)"
	case e.Signal != 0:
		return "killed by " + reaper.SignalName(syscall.Signal(e.Signal))
	}
	return "exit " + strconv.Itoa(e.Code)
}

// Status is a snapshot of a service.
type Status struct {
	Name        string
	Names       []string
	Description string
	ActiveState string
	SubState    string
	// Result is systemd's: success, exit-code, signal, timeout,
	// start-limit-hit, resources, condition, dependency, core-dump…
	Result    string
	MainPID   int
	Since     time.Time
	Restarts  int
	LastExit  *Exit
	Condition string // the condition that kept it from starting
	Notify    string // the last STATUS= of a notify service
	Log       []string
	// When the service last left and last entered inactive/failed
	// (systemd's InactiveExitTimestamp=, InactiveEnterTimestamp=;
	// OnUnitActiveSec= and OnUnitInactiveSec= count from them); zero for
	// never.
	LeftInactive, EnteredInactive time.Time
}

// service is the state machine of one unit.
type service struct {
	m    *Manager
	unit *units.Unit
	svc  *units.Service
	log  *slog.Logger
	ring *ring

	job sync.Mutex // one job (start, stop, restart, reload) at a time

	mu         sync.Mutex
	state      string
	sub        string
	result     string
	since      time.Time
	mainPID    int
	mainProc   *reaper.Proc    // the main process, started or adopted
	mainDone   <-chan struct{} // closed when the main process is gone
	notifyMain int             // a MAINPID= before READY=1, adopted at READY=1
	lastExit   *Exit
	restarts   int
	starts     []time.Time
	gen        int // counts starts and stops: a watcher of an older one does nothing
	stopping   bool
	condition  string
	notifyMsg  string
	seeds      map[int]bool
	ready      chan struct{} // closed on READY=1
	pending    *units.Unit   // a daemon-reload's definition, for the next start
	restarting bool          // the stop is a restart's: RestartKillSignal=
	abort      chan struct{} // open while a start runs; closed by a stop that cancels it
	notify     *notifySocket
	logW       *os.File

	leftInactive, enteredInactive time.Time // see Status
}

func (s *service) set(state, sub string) {
	s.mu.Lock()
	changed := s.state != state
	if changed {
		s.since = s.m.now()
		was, is := inactiveOrFailed(s.state), inactiveOrFailed(state)
		if was && !is {
			s.leftInactive = s.since
		}
		if !was && is {
			s.enteredInactive = s.since
		}
	}
	s.state, s.sub = state, sub
	s.mu.Unlock()
	if changed {
		s.m.changed(s.unit.Name)
	}
}

func inactiveOrFailed(state string) bool { return state == Inactive || state == Failed }

func (s *service) snapshot() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{Name: s.unit.Name, Names: s.unit.Names, Description: s.unit.Description,
		ActiveState: s.state, SubState: s.sub, Result: s.result, MainPID: s.mainPID, Since: s.since,
		Restarts: s.restarts, Condition: s.condition, Notify: s.notifyMsg,
		LeftInactive: s.leftInactive, EnteredInactive: s.enteredInactive}
	if s.lastExit != nil {
		e := *s.lastExit
		st.LastExit = &e
	}
	st.Log = s.ring.last(ringLines)
	return st
}

// logPipe is the write end every process of the unit prints to; one reader
// turns it into log lines with unit= and keeps the last ones.
func (s *service) logPipe() (*os.File, error) {
	if s.logW != nil {
		return s.logW, nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	go linelog.Copy(r, func(line string) {
		if s.m.o.Redact != nil {
			line = s.m.o.Redact(line)
		}
		s.ring.add(line, s.m.now())
		s.log.Info(line)
	})
	s.logW = w
	return w, nil
}

// errCondition is a start skipped by a Condition*= (not a failure).
var errCondition = errors.New("start condition failed")

// start runs the start job: it returns when the service is up (or ended,
// for a oneshot), failed, or was skipped by a condition.
func (s *service) start(ctx context.Context) error {
	s.mu.Lock()
	st := s.state
	s.mu.Unlock()
	if st == Active || st == Reloading {
		return nil
	}
	return s.startLocked(ctx)
}

func (s *service) startLocked(ctx context.Context) error {
	s.mu.Lock()
	s.abort = make(chan struct{})
	defer func() {
		s.mu.Lock()
		s.abort = nil
		s.mu.Unlock()
	}()
	if s.pending != nil {
		s.unit, s.svc, s.pending = s.pending, s.pending.Service, nil
	}
	u, svc := s.unit, s.svc
	s.gen++
	s.stopping = false
	s.condition = ""
	s.seeds = map[int]bool{}
	s.mainPID, s.mainProc, s.mainDone, s.notifyMain = 0, nil, nil, 0
	now := s.m.now()
	s.starts = append(s.starts, now)
	for len(s.starts) > 0 && now.Sub(s.starts[0]) > u.StartLimitInterval {
		s.starts = s.starts[1:]
	}
	limitHit := u.StartLimitInterval > 0 && u.StartLimitBurst > 0 && len(s.starts) > u.StartLimitBurst
	s.mu.Unlock()
	if limitHit {
		s.fail("start-limit-hit")
		return fmt.Errorf("start %s: started too often (StartLimitBurst=%d within %s)", u.Name, u.StartLimitBurst, u.StartLimitInterval)
	}
	res := u.CheckConditions(s.m.o.Facts)
	if res.Failed != nil {
		s.mu.Lock()
		s.condition = res.Failed.String()
		s.mu.Unlock()
		s.set(Inactive, "dead")
		s.log.Info("start condition not met, not started", "condition", res.Failed.String())
		return errCondition
	}
	if res.AssertFailed != nil {
		s.mu.Lock()
		s.condition = res.AssertFailed.String()
		s.mu.Unlock()
		s.fail("assert")
		return fmt.Errorf("start %s: assertion failed: %s (%s)", u.Name, res.AssertFailed, res.AssertFailed.Where)
	}
	s.set(Activating, "start-pre")
	deadline := deadlineFor(ctx, svc.TimeoutStart, s.m.now())
	x, err := s.prepare(true)
	if err != nil {
		s.fail("resources")
		return fmt.Errorf("start %s: %w", u.Name, err)
	}
	for _, c := range svc.ExecCondition {
		e, err := s.runControl(x, c, deadline)
		if err == nil && e.Known && e.Code >= 1 && e.Code <= 254 && !c.IgnoreFailure {
			s.set(Inactive, "dead")
			s.stopPost(x)
			return errCondition
		}
		if err != nil && !c.IgnoreFailure {
			return s.startFailed(x, err)
		}
	}
	for _, c := range svc.ExecStartPre {
		if _, err := s.runControl(x, c, deadline); err != nil && !c.IgnoreFailure {
			return s.startFailed(x, err)
		}
	}
	s.set(Activating, "start")
	if err := s.startMain(x, deadline); err != nil {
		return s.startFailed(x, err)
	}
	s.set(Activating, "start-post")
	for _, c := range svc.ExecStartPost {
		if _, err := s.runControl(x, c, deadline); err != nil && !c.IgnoreFailure {
			return s.startFailed(x, err)
		}
	}
	s.mu.Lock()
	s.result = "success"
	done, gen, pid := s.mainDone, s.gen, s.mainPID
	s.mu.Unlock()
	if svc.Type == "oneshot" {
		if svc.RemainAfterExit {
			s.set(Active, "exited")
		} else {
			s.set(Inactive, "dead")
		}
		return nil
	}
	if done == nil && svc.RemainAfterExit {
		s.set(Active, "exited")
		return nil
	}
	s.set(Active, "running")
	s.log.Info("started", "pid", pid)
	if done != nil {
		go s.watch(gen, done)
	}
	return nil
}

// startFailed ends a failed start: the unit's processes are stopped and
// ExecStopPost= runs, as systemd does.
func (s *service) startFailed(x *execContext, cause error) error {
	result := "exit-code"
	var te *timeoutError
	switch {
	case errors.Is(cause, errCancelled):
		result = "cancelled"
	case errors.As(cause, &te):
		result = "timeout"
	case errors.Is(cause, errSignal):
		result = "signal"
	}
	s.log.Warn("start failed", "err", cause)
	s.killAll(x, deadlineFor(context.Background(), s.svc.TimeoutStop, s.m.now()))
	var ee *exitError
	var e *Exit
	if errors.As(cause, &ee) {
		e = &ee.exit
	}
	s.stopPost(x.withResult(result, e))
	if result == "cancelled" { // a stop cancelled the start: not a failure
		s.set(Inactive, "dead")
		return fmt.Errorf("start %s: %w", s.unit.Name, cause)
	}
	s.fail(result)
	return fmt.Errorf("start %s: %w", s.unit.Name, cause)
}

func (s *service) fail(result string) {
	s.mu.Lock()
	s.result = result
	s.mu.Unlock()
	s.set(Failed, "failed")
}

// prepareNoNotify is prepare for the commands of a running service.
func (s *service) prepareNoNotify() (*execContext, error) { return s.prepare(false) }

// prepare resolves the user, makes the directories, builds the
// environment and, for Type=notify at a start, opens the notify socket.
func (s *service) prepare(starting bool) (*execContext, error) {
	o := s.m.o
	svc := s.svc
	id, err := lookupIdentity(o.Root, svc)
	if err != nil {
		return nil, err
	}
	extra := map[string]string{}
	if starting {
		if extra, err = makeDirectories(o.Root, svc, id); err != nil {
			return nil, err
		}
	}
	extra["INVOCATION_ID"] = invocationID()
	if starting && (svc.Type == "notify" || svc.Type == "notify-reload") {
		// A socket path holds at most 107 bytes and a unit name 255: the
		// socket is named by a hash of the unit's name.
		h := fnv.New32a()
		h.Write([]byte(s.unit.Name))
		inRoot := path.Join("/run/boxinit/notify", fmt.Sprintf("%08x", h.Sum32()))
		s.mu.Lock()
		last := s.notify // the last start's: closing it removes the path, so first
		s.notify = nil
		s.mu.Unlock()
		if last != nil {
			last.close() // not under s.mu: it waits for a message being handled, which takes s.mu
		}
		n, err := listenNotify(filepath.Join(o.Root, inRoot), inRoot)
		if err != nil {
			return nil, err
		}
		ready := make(chan struct{})
		s.mu.Lock()
		n.handle = s.notifyHandler(ready, s.gen, id.UID)
		s.notify, s.ready = n, ready
		s.mu.Unlock()
		go n.serve()
		// The services run in boxinit's own file system (no chroot): the
		// variables carry paths as the process sees them (the same under /).
		extra["NOTIFY_SOCKET"] = n.host
	}
	env, err := serviceEnv(o.Root, o.Env, svc, id, extra)
	if err != nil {
		return nil, err
	}
	out, err := s.logPipe()
	if err != nil {
		return nil, err
	}
	x := &execContext{root: o.Root, svc: svc, env: env, vars: newEnv(env).vars(), self: o.Self, out: out, umask: int(svc.UMask)}
	if svc.StandardOutput == "null" && (svc.StandardError == "null" || svc.StandardError == "") {
		x.out = nil
	}
	x.user, x.dir = runAs(svc, id)
	return x, nil
}

func invocationID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}

// withResult is x with the variables systemd gives ExecStop= and
// ExecStopPost=: SERVICE_RESULT, and EXIT_CODE/EXIT_STATUS of the main
// process when it ended.
func (x *execContext) withResult(result string, e *Exit) *execContext {
	if x == nil {
		return nil
	}
	y := *x
	y.env = append([]string(nil), x.env...)
	y.vars = cloneMap(x.vars)
	add := func(k, v string) {
		y.env = append(y.env, k+"="+v)
		y.vars[k] = v
	}
	add("SERVICE_RESULT", result)
	if e != nil && e.Known {
		if e.Signal != 0 {
			add("EXIT_CODE", "killed")
			add("EXIT_STATUS", strings.TrimPrefix(reaper.SignalName(syscall.Signal(e.Signal)), "SIG"))
		} else {
			add("EXIT_CODE", "exited")
			add("EXIT_STATUS", strconv.Itoa(e.Code))
		}
	}
	return &y
}

// timeoutError is a command or a start that took too long.
type timeoutError struct{ what string }

func (e *timeoutError) Error() string { return e.what + ": timed out" }

var errSignal = errors.New("killed by a signal")

// exitError is a command that failed.
type exitError struct {
	argv []string
	exit Exit
}

func (e *exitError) Error() string { return fmt.Sprintf("%s: %s", strings.Join(e.argv, " "), e.exit) }
func (e *exitError) Unwrap() error {
	if e.exit.Signal != 0 {
		return errSignal
	}
	return nil
}

// runControl runs one control command (ExecStartPre=, ExecStop=, …) to its
// end, or kills its session at the deadline.
func (s *service) runControl(x *execContext, c units.ExecCommand, deadline time.Time) (Exit, error) {
	s.mu.Lock()
	mainPID := s.mainPID
	s.mu.Unlock()
	cmd, err := x.command(c, mainPID)
	if err != nil {
		return Exit{}, err
	}
	p, err := s.m.o.Run.Start(cmd)
	if err != nil {
		return Exit{}, err
	}
	s.addSeed(p.Pid)
	s.log.Debug("control process started", "pid", p.Pid, "argv", c.Argv)
	if err := s.wait(p.Done(), deadline); err != nil {
		_ = unix.Kill(-p.Pid, unix.SIGTERM)
		if !waitDone(p.Done(), s.m.now().Add(killWait)) {
			_ = unix.Kill(-p.Pid, unix.SIGKILL)
			<-p.Done()
		}
		if errors.Is(err, errCancelled) {
			return Exit{}, err
		}
		return Exit{}, &timeoutError{what: strings.Join(c.Argv, " ")}
	}
	e := exitOf(p.Wait())
	if e.Code != 0 || e.Signal != 0 {
		return e, &exitError{argv: cmd.Args, exit: e}
	}
	return e, nil
}

// killWait bounds each wait after a SIGKILL.
const killWait = 2 * time.Second

// errCancelled is a start that a stop cancelled.
var errCancelled = errors.New("cancelled by a stop")

// wait waits for done until deadline; during a start, a stop that cancels
// it ends the wait too (errCancelled). A passed deadline is a timeoutError.
func (s *service) wait(done <-chan struct{}, deadline time.Time) error {
	s.mu.Lock()
	abort := s.abort
	s.mu.Unlock()
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-done:
		return nil
	case <-abort:
		return errCancelled
	case <-timeout:
		return &timeoutError{what: "wait"}
	}
}

// cancelStart ends a start in progress (a stop comes).
func (s *service) cancelStart() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.abort != nil {
		select {
		case <-s.abort:
		default:
			close(s.abort)
		}
	}
}

func waitDone(done <-chan struct{}, deadline time.Time) bool {
	if deadline.IsZero() {
		<-done
		return true
	}
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// deadlineFor is now+d, or the context's deadline if sooner; zero for no
// deadline.
func deadlineFor(ctx context.Context, d time.Duration, now time.Time) time.Time {
	var dl time.Time
	if d != units.Infinity {
		dl = now.Add(d)
	}
	if cd, ok := ctx.Deadline(); ok && (dl.IsZero() || cd.Before(dl)) {
		dl = cd
	}
	return dl
}

func (s *service) addSeed(pid int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seeds[pid] = true
}

// processes lists the unit's live processes now.
func (s *service) processes() []int {
	procs := listProcs(s.m.o.ProcDir)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mainPID > 0 {
		s.seeds[s.mainPID] = true
	}
	return unitProcesses(procs, s.seeds)
}
