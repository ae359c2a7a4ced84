package services

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/boxinit/boxinit/internal/reaper"
	"github.com/boxinit/boxinit/internal/units"
)

// startMain starts ExecStart= the way Type= says and returns once the
// service counts as started.
func (s *service) startMain(x *execContext, deadline time.Time) error {
	svc := s.svc
	if svc.Type == "oneshot" {
		for _, c := range svc.ExecStart {
			e, err := s.runMain(x, c, deadline)
			if err != nil && !(c.IgnoreFailure || s.successExit(e)) {
				return err
			}
		}
		return nil
	}
	if len(svc.ExecStart) == 0 {
		return nil // a oneshot-like unit with only ExecStop= (RemainAfterExit=yes)
	}
	c := svc.ExecStart[0]
	cmd, err := x.command(c, 0)
	if err != nil {
		return err
	}
	// From here on, a daemon the command leaves behind is found by Adopt
	// even if it ends before its pid is known.
	mark := s.m.o.Run.Mark()
	p, err := s.m.o.Run.Start(cmd)
	if err != nil {
		return err
	}
	s.addSeed(p.Pid)
	switch svc.Type {
	case "forking":
		return s.forked(x, p, c.Argv, mark, deadline)
	case "notify", "notify-reload":
		s.setMain(p.Pid, p, p.Done())
		return s.awaitReady(p, mark, deadline)
	}
	s.setMain(p.Pid, p, p.Done()) // simple, exec, idle, dbus
	return nil
}

func (s *service) setMain(pid int, p *reaper.Proc, done <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mainPID, s.mainProc, s.mainDone = pid, p, done
	if pid > 0 {
		s.seeds[pid] = true
	}
}

// runMain runs one ExecStart= of a oneshot to its end.
func (s *service) runMain(x *execContext, c units.ExecCommand, deadline time.Time) (Exit, error) {
	e, err := s.runControl(x, c, deadline)
	s.mu.Lock()
	if e.Known {
		ex := e
		s.lastExit = &ex
	}
	s.mu.Unlock()
	return e, err
}

// forked waits for the first process of a Type=forking service to exit,
// then finds the daemon: PIDFile= (which may appear a little later), or
// the one process of the unit left. The daemon is adopted: its exit
// status comes from the reaper, even when it ended before it was found.
func (s *service) forked(x *execContext, p *reaper.Proc, argv []string, mark reaper.Mark, deadline time.Time) error {
	if err := s.wait(p.Done(), deadline); err != nil {
		if errors.Is(err, errCancelled) {
			return err
		}
		return &timeoutError{what: strings.Join(argv, " ")}
	}
	if e := exitOf(p.Wait()); e.Code != 0 || e.Signal != 0 {
		return &exitError{argv: argv, exit: e}
	}
	var main *reaper.Proc
	if f := s.svc.PIDFile; f != "" {
		refused := false
		for {
			// Whether any process is left is asked before the file is
			// read: a daemon that wrote it and ended in between is found.
			procs := s.processes()
			none := len(procs) == 0
			pid, owner, err := readPIDFile(filepath.Join(x.root, f))
			if err == nil && owner != 0 && !slices.Contains(procs, pid) && procOwner(s.m.o.ProcDir, pid) != int(owner) {
				// A PID file someone else could have written names a
				// process of the unit or one of that someone's own, or none
				// is taken: boxinit would signal it as root when the unit
				// stops (systemd asks for the unit's cgroup).
				if !refused {
					s.log.Warn("PIDFile= refused: the pid is neither a process of the unit nor one of the file owner's, and the file is not root's", "file", f, "pid", pid, "owner", owner)
					refused = true
				}
				err = errNotOurs
			}
			if err == nil {
				if main, err = s.m.o.Run.Adopt(pid, mark); err == nil {
					break
				}
				if !errors.Is(err, reaper.ErrNoProcess) {
					return fmt.Errorf("PIDFile=%s: %w", f, err)
				}
			}
			if !deadline.IsZero() && time.Now().After(deadline) {
				return &timeoutError{what: "PIDFile=" + f}
			}
			if none {
				return fmt.Errorf("PIDFile=%s: not written, and no process of the unit is left", f)
			}
			if s.wait(nil, time.Now().Add(20*time.Millisecond)) == errCancelled {
				return errCancelled
			}
		}
	} else if s.svc.GuessMainPID {
		if procs := s.processes(); len(procs) == 1 {
			main, _ = s.m.o.Run.Adopt(procs[0], mark) // gone since: no main process known
		}
	}
	if main == nil {
		if s.svc.GuessMainPID { // GuessMainPID=no (SysV scripts' units) asks for no main process
			s.log.Warn("main process not known: no PIDFile= and not exactly one process left")
		}
		s.setMain(0, nil, nil)
		return nil
	}
	s.setMain(main.Pid, main, main.Done())
	return nil
}

// procOwner is the uid owning /proc/PID (the process's effective uid), -1
// when it is gone.
func procOwner(procDir string, pid int) int {
	var st unix.Stat_t
	if err := unix.Stat(filepath.Join(procDir, strconv.Itoa(pid)), &st); err != nil {
		return -1
	}
	return int(st.Uid)
}

// errNotOurs: a PID file not root's names a process outside the unit.
var errNotOurs = errors.New("the pid is neither a process of the unit nor one of the file owner's, and the file is not root's")

// readPIDFile reads a PID file: one positive number, and the uid owning
// the file (what it links to) read.
func readPIDFile(p string) (pid int, owner uint32, err error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return 0, 0, err
	}
	b, err := io.ReadAll(io.LimitReader(f, 64))
	if err != nil {
		return 0, 0, err
	}
	pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, 0, fmt.Errorf("PID file %s: %q is not a pid", p, strings.TrimSpace(string(b)))
	}
	return pid, st.Uid, nil
}

// awaitReady waits for READY=1 of a Type=notify service, failing when the
// main process exits first or the start times out.
func (s *service) awaitReady(p *reaper.Proc, mark reaper.Mark, deadline time.Time) error {
	s.mu.Lock()
	ready, abort := s.ready, s.abort
	s.mu.Unlock()
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-ready:
	case <-p.Done():
		s.drainNotify() // a READY=1 it sent before it ended still counts
		select {
		case <-ready:
		default:
			e := exitOf(p.Wait())
			s.mu.Lock()
			s.lastExit = &e
			s.mu.Unlock()
			return &exitError{argv: []string{s.svc.ExecStart[0].Path}, exit: e}
		}
	case <-timeout:
		return &timeoutError{what: "READY=1"}
	case <-abort:
		return errCancelled
	}
	s.mu.Lock()
	pid := s.notifyMain
	s.mu.Unlock()
	if pid != p.Pid && pid > 0 { // MAINPID= named another process
		main, err := s.m.o.Run.Adopt(pid, mark)
		if err != nil {
			return fmt.Errorf("MAINPID=%d: %w", pid, err)
		}
		s.setMain(pid, main, main.Done())
	}
	return nil
}

// notifyHandler handles the messages of one start's notify socket while
// that start is the service's (gen); serve and drain call it one message
// at a time.
//
// The socket is open to every process (a service's user must reach it), so
// MAINPID= is checked as a PID file not root's is: it must name a process
// of the unit or one of the sender's own, unless the sender is root;
// otherwise a service's user could make boxinit adopt any process and
// signal it as root when the unit stops (systemd asks for the unit's
// cgroup, or a privileged sender). The named process becomes the main one
// only once it is adopted (pinned by a pidfd): before READY=1 at READY=1,
// after it at once (a daemon that re-executes itself).
//
// NotifyAccess=all is systemd's "every process of the unit's cgroup": here
// a process of the unit, or one of the unit's user or of root (a daemon
// that left the unit's session by setsid(2)), not any process that can
// reach the socket.
func (s *service) notifyHandler(ready chan struct{}, gen, unitUID int) func(notifyMsg) {
	readyClosed := false
	return func(m notifyMsg) {
		if beforeNotify != nil {
			beforeNotify(m)
		}
		s.mu.Lock()
		if s.gen != gen { // a later start or a stop: not this socket's business
			s.mu.Unlock()
			return
		}
		all := s.svc.NotifyAccess == "all"
		allowed := m.pid == s.mainPID || m.pid == s.notifyMain ||
			(all && (m.uid == 0 || m.uid == unitUID)) || (s.svc.NotifyAccess == "exec" && s.seeds[m.pid])
		s.mu.Unlock()
		if !allowed && all {
			allowed = slices.Contains(s.processes(), m.pid)
		}
		if !allowed || s.svc.NotifyAccess == "none" {
			s.log.Debug("notify message from a process not allowed to send it", "pid", m.pid)
			return
		}
		s.mu.Lock()
		if s.gen != gen {
			s.mu.Unlock()
			return
		}
		if v, ok := m.fields["STATUS"]; ok {
			s.notifyMsg = v
		}
		newMain, hasMain := mainPIDFrom(m)
		hasMain = hasMain && newMain != s.mainPID && newMain != s.notifyMain
		state := s.state
		s.mu.Unlock()
		if hasMain && s.mainPIDAllowed(newMain, m) {
			if readyClosed {
				s.adoptMain(newMain, gen)
			} else {
				s.mu.Lock()
				s.notifyMain = newMain
				s.mu.Unlock()
			}
		}
		if m.fields["READY"] == "1" {
			if !readyClosed {
				close(ready)
				readyClosed = true
			} else if state == Reloading {
				s.set(Active, "running")
			}
		}
		if m.fields["RELOADING"] == "1" {
			s.set(Reloading, "reload")
		}
		if m.fields["STOPPING"] == "1" {
			s.set(Deactivating, "stop")
		}
	}
}

// beforeNotify, when set (tests), runs before each notify message is
// handled.
var beforeNotify func(notifyMsg)

// mainPIDAllowed says whether the sender of m may name pid its service's
// main process: root may; anyone else only a process of the unit or one of
// their own.
func (s *service) mainPIDAllowed(pid int, m notifyMsg) bool {
	if m.uid == 0 || slices.Contains(s.processes(), pid) || procOwner(s.m.o.ProcDir, pid) == m.uid {
		return true
	}
	s.log.Warn("MAINPID= refused: neither a process of the unit nor one of the sender's, and the sender is not root", "pid", pid, "sender", m.pid)
	return false
}

// adoptMain makes pid the main process of a running service (a MAINPID=
// after READY=1): its end is now the service's, and the old main process's
// watch stands down. When the old main process's end has been handled
// already (the service stops or restarts for it), or the start is no longer
// the service's, nothing changes. An old main process that ended but whose
// end is not handled yet (its watch drains the socket first) hands over.
func (s *service) adoptMain(pid, gen int) {
	main, err := s.m.o.Run.Adopt(pid, s.m.o.Run.Mark())
	if err != nil {
		s.log.Warn("MAINPID= names no process left; the main process stays", "pid", pid, "err", err)
		return
	}
	s.mu.Lock()
	ended := s.mainDone == nil // the watch took the old main process's end
	if s.gen != gen || s.stopping || ended {
		s.mu.Unlock()
		if ended {
			s.log.Warn("MAINPID= came after the main process ended; the service ends with it", "pid", pid)
		}
		return
	}
	s.mainPID, s.mainProc, s.mainDone = pid, main, main.Done()
	s.seeds[pid] = true
	s.mu.Unlock()
	s.log.Info("new main process", "pid", pid)
	go s.watch(gen, main.Done())
}

var errNoReload = errors.New("no ExecReload= (job type reload is not applicable)")
