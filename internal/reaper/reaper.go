package reaper

import (
	"errors"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// Reaper is the one owner of wait4 in the process. Every child that boxinit
// starts goes through [Reaper.Start] and gets its exit status from the
// Reaper's loop; orphans that the kernel hands to PID 1 (or to the
// subreaper) are reaped and counted.
type Reaper struct {
	log     *slog.Logger
	sigs    *Signals
	isInit  bool // PID 1 of its PID namespace
	devNull *os.File
	poke    chan struct{}

	mu        sync.Mutex // held from fork to registration, and around each wait4
	procs     map[int]*Proc
	childless chan struct{} // closed while the last reap pass saw ECHILD
	noKids    bool

	orphans atomic.Uint64
	recent  recentOrphans // under mu
	main    mainRecord
}

// New starts the reap loop. When boxinit is not PID 1 it makes itself a
// child subreaper first, so that orphaned descendants are reparented to it.
func New(log *slog.Logger, sigs *Signals) (*Reaper, error) {
	devNull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	r := &Reaper{
		log:       log,
		sigs:      sigs,
		isInit:    os.Getpid() == 1,
		devNull:   devNull,
		poke:      make(chan struct{}, 1),
		procs:     map[int]*Proc{},
		childless: make(chan struct{}),
	}
	if !r.isInit {
		if err := setSubreaper(); err != nil {
			return nil, err
		}
		log.Info("not PID 1: became a child subreaper; shutdown signals only descendants", "pid", os.Getpid())
	}
	go r.loop()
	return r, nil
}

// Orphans returns how many processes were reaped that nobody had started
// through the Reaper.
func (r *Reaper) Orphans() uint64 { return r.orphans.Load() }

// IsInit reports whether boxinit is PID 1 of its PID namespace.
func (r *Reaper) IsInit() bool { return r.isInit }

func (r *Reaper) loop() {
	for {
		r.reap()
		select {
		case <-r.sigs.chld:
		case <-r.poke:
		}
	}
}

// nudge asks the loop for a reap pass even without a SIGCHLD, e.g. when a
// process that joined the namespace from outside (kubectl exec) was
// reparented to PID 1 while it had no other children.
func (r *Reaper) nudge() {
	select {
	case r.poke <- struct{}{}:
	default:
	}
}

// reap collects every exited child until none is left or none has exited.
// Each wait4 runs under the lock that Start holds from fork to
// registration, so a status is never looked up before its pid is
// registered, and an ECHILD is never stale.
func (r *Reaper) reap() {
	for {
		r.mu.Lock()
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if errors.Is(err, unix.ECHILD) && !r.noKids {
			r.noKids = true
			close(r.childless)
		}
		p := r.procs[pid]
		delete(r.procs, pid)
		if pid > 0 {
			r.recent.add(pid, ws) // an Adopt racing this reap still gets the status
		}
		r.mu.Unlock()

		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.ECHILD):
			return
		case err != nil:
			r.log.Error("wait4 failed", "err", err)
			return
		case pid == 0:
			return
		case p == nil:
			r.orphans.Add(1)
		default:
			p.finish(ws, true)
		}
	}
}

// childlessCh returns a channel that is closed once a reap pass finds that
// boxinit has no children left.
func (r *Reaper) childlessCh() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.childless
}

// Start starts c and registers it, under one lock, so that its exit status
// is delivered to the returned Proc even if it exits before Start returns.
func (r *Reaper) Start(c *Cmd) (*Proc, error) {
	path, err := lookPath(c.Args[0], c.Env)
	if err != nil {
		return nil, &StartError{Name: c.Args[0], Err: err}
	}
	files := []*os.File{c.Stdin, c.Stdout, c.Stderr}
	for i, f := range files {
		if f == nil {
			files[i] = r.devNull
		}
	}
	attr := &os.ProcAttr{Dir: c.Dir, Env: c.Env, Files: files, Sys: c.Sys}

	r.mu.Lock()
	defer r.mu.Unlock()
	process, err := os.StartProcess(path, c.Args, attr)
	if err != nil {
		return nil, &StartError{Name: c.Args[0], Err: err}
	}
	p := &Proc{Pid: process.Pid, process: process, done: make(chan struct{})}
	r.dropStale(p.Pid)
	r.procs[p.Pid] = p
	if r.noKids {
		r.noKids = false
		r.childless = make(chan struct{})
	}
	return p, nil
}

// Proc is a child started through [Reaper.Start], or a process that
// boxinit did not start and took over with [Reaper.Adopt].
type Proc struct {
	Pid     int
	process *os.Process // holds a pidfd: signals never reach a recycled pid
	pidfd   *os.File    // an adopted process's pidfd (process is nil)
	done    chan struct{}
	status  unix.WaitStatus
	known   bool
}

// finish delivers ws (or, with known false, the news that the process
// ended with a status that boxinit could not learn).
func (p *Proc) finish(ws unix.WaitStatus, known bool) {
	p.status, p.known = ws, known
	close(p.done)
	if p.process != nil {
		_ = p.process.Release()
	}
	if p.pidfd != nil {
		_ = p.pidfd.Close()
	}
}

// Known reports, once the process has been reaped, whether Wait returns
// its real status: always for a child boxinit started; for an adopted
// process, unless its own parent reaped it (boxinit was not the one to
// inherit it) or it ended so long before Adopt that its status was
// forgotten.
func (p *Proc) Known() bool {
	<-p.done
	return p.known
}

// Done is closed when the process has been reaped.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Wait blocks until the process has been reaped and returns its status.
func (p *Proc) Wait() unix.WaitStatus {
	<-p.done
	return p.status
}

// ExitCode waits for the process and returns its exit code as a shell
// reports it: the exit status, or 128+N after a death by signal N.
func (p *Proc) ExitCode() int { return ExitCode(p.Wait()) }

// Signal sends sig to the process; it returns os.ErrProcessDone once the
// process has exited.
func (p *Proc) Signal(sig syscall.Signal) error {
	select {
	case <-p.done:
		return os.ErrProcessDone
	default:
		if p.process != nil {
			return p.process.Signal(sig)
		}
		return pidfdSignal(p.pidfd, sig)
	}
}

// ExitCode converts a wait status into a shell-style exit code.
func ExitCode(ws unix.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}
