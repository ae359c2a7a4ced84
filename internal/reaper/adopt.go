package reaper

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// A forking daemon's main process (found by its PIDFile=) and a notify
// service's MAINPID= are not children that boxinit started: they are
// grandchildren, reparented to boxinit when their parent exits. Adopt lets
// whoever learns such a pid get its exit status from the one wait4 loop,
// with three races handled:
//
//   - It ended before it was adopted (a daemon that writes its PID file and
//     dies at once): the loop keeps the statuses of the last processes it
//     reaped, and Adopt finds the pid there when it was reaped after the
//     caller's [Mark].
//   - Its pid was reused after that: a reaped pid found there wins over a
//     live process that has the same pid now, and a live one is pinned by a
//     pidfd taken before the lookup, so no signal reaches a stranger.
//   - boxinit does not inherit it (its own parent lives on and reaps it,
//     or boxinit is neither PID 1 nor its subreaper): the pidfd says when it
//     ended, and the Proc is done with [Proc.Known] false.

// recentMax is how many reaped processes are remembered: a daemon that
// dies between its PID file and Adopt is found unless this many other
// processes were reaped in between (then its end is reported with status
// unknown).
const recentMax = 256

// Mark is a point in the sequence of reaped processes; see [Reaper.Mark].
type Mark uint64

// recentOrphans is a ring of the last recentMax processes reaped (most
// of them orphans; a child started through Start too, for an Adopt of
// its pid that comes after its Proc was delivered).
type recentOrphans struct {
	seq  uint64 // processes reaped so far; entry seq-1 is the newest
	ring [recentMax]recentOrphan
}

type recentOrphan struct {
	pid    int
	status unix.WaitStatus
}

func (o *recentOrphans) add(pid int, ws unix.WaitStatus) {
	o.ring[o.seq%recentMax] = recentOrphan{pid: pid, status: ws}
	o.seq++
}

// find returns the status of pid if it was reaped after since (the newest
// such reap); complete says whether every process reaped after since is
// still remembered.
func (o *recentOrphans) find(pid int, since Mark) (ws unix.WaitStatus, found, complete bool) {
	first := uint64(since)
	complete = o.seq-first <= recentMax
	if !complete {
		first = o.seq - recentMax
	}
	for i := o.seq; i > first; i-- {
		if e := o.ring[(i-1)%recentMax]; e.pid == pid {
			return e.status, true, complete
		}
	}
	return 0, false, complete
}

// Mark returns the current point in the sequence of reaped processes. Take
// it before starting the command whose descendant will be adopted (a
// forking service's ExecStart=): [Reaper.Adopt] then finds that
// descendant even if it was reaped before Adopt was called, and never an
// older process that had the same pid.
func (r *Reaper) Mark() Mark {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Mark(r.recent.seq)
}

// ErrNoProcess is an Adopt of a pid that neither lives nor was reaped
// since the Mark.
var ErrNoProcess = errors.New("no such process")

// pidfdOpen is unix.PidfdOpen (a variable for the tests).
var pidfdOpen = unix.PidfdOpen

// Adopt takes over pid, a process that boxinit did not start, and returns
// a Proc that is done when pid ends, with its exit status when boxinit
// reaps it (see the races above). A child started by [Reaper.Start], or a
// pid adopted before, gives its existing Proc.
func (r *Reaper) Adopt(pid int, since Mark) (*Proc, error) {
	if pid <= 1 || pid == os.Getpid() {
		return nil, fmt.Errorf("adopt pid %d: not a process boxinit can adopt", pid)
	}
	fd, openErr := pidfdOpen(pid, 0) // before the lookup: it pins the process that lives now
	r.mu.Lock()
	r.dropStale(pid)
	if p := r.procs[pid]; p != nil {
		r.mu.Unlock()
		closeFD(fd, openErr)
		return p, nil
	}
	ws, found, complete := r.recent.find(pid, since)
	if found || openErr != nil {
		r.mu.Unlock()
		closeFD(fd, openErr)
		switch {
		case found:
			return doneProc(pid, ws, true), nil
		case errors.Is(openErr, unix.ESRCH) && !complete:
			return doneProc(pid, 0, false), nil // too many reaps since: it ended, status forgotten
		case errors.Is(openErr, unix.ESRCH):
			return nil, fmt.Errorf("adopt pid %d: %w", pid, ErrNoProcess)
		}
		return nil, fmt.Errorf("adopt pid %d: pidfd_open: %w", pid, openErr)
	}
	f, err := pidfdFile(fd)
	if err != nil {
		r.mu.Unlock()
		return nil, fmt.Errorf("adopt pid %d: %w", pid, err)
	}
	p := &Proc{Pid: pid, pidfd: f, done: make(chan struct{})}
	r.procs[pid] = p
	r.mu.Unlock()
	go r.watchAdopted(p)
	return p, nil
}

// dropStale ends, with its status unknown, an adopted process of pid that
// another parent reaped before its watcher noticed: pid is free, and a
// new process may have it. Called with mu held.
func (r *Reaper) dropStale(pid int) {
	p := r.procs[pid]
	if p == nil || p.pidfd == nil || zombieOf(p.pidfd) != reapedElsewhere {
		return
	}
	delete(r.procs, pid)
	p.finish(0, false)
}

func closeFD(fd int, openErr error) {
	if openErr == nil {
		_ = unix.Close(fd)
	}
}

func doneProc(pid int, ws unix.WaitStatus, known bool) *Proc {
	p := &Proc{Pid: pid, done: make(chan struct{})}
	p.finish(ws, known)
	return p
}

// watchAdopted waits, without holding a thread, for p's pidfd to say that
// the process ended. If it is boxinit's zombie, the reap loop delivers
// its status; if another parent has it, the Proc ends with the status
// unknown once that parent reaped it (or, should that parent die first,
// the loop gets it after all).
func (r *Reaper) watchAdopted(p *Proc) {
	wait := 10 * time.Millisecond
	for {
		if err := waitExited(p.pidfd); err != nil {
			return // closed: the reap loop delivered the status
		}
		r.mu.Lock()
		if r.procs[p.Pid] != p {
			r.mu.Unlock()
			return // reaped by the loop, being delivered
		}
		switch zombieOf(p.pidfd) {
		case ownZombie:
			r.mu.Unlock()
			r.nudge()
			return
		case reapedElsewhere:
			delete(r.procs, p.Pid)
			r.mu.Unlock()
			p.finish(0, false)
			return
		}
		r.mu.Unlock()
		time.Sleep(wait) // another parent's zombie: it reaps it, or dies and boxinit inherits it
		wait = min(2*wait, time.Second)
	}
}
