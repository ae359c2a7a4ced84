package services

import (
	"context"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/boxinit/boxinit/internal/units"
)

// TryRestart restarts the named service only when it is active.
func (m *Manager) TryRestart(ctx context.Context, name string) error {
	st, err := m.Status(name)
	if err != nil {
		return err
	}
	if st.ActiveState != Active && st.ActiveState != Reloading {
		return nil
	}
	return m.Restart(ctx, name)
}

// ReloadOrRestart reloads the named service when it can, restarts it
// otherwise (and starts it when it is not running).
func (m *Manager) ReloadOrRestart(ctx context.Context, name string) error {
	s, err := m.service(name)
	if err != nil {
		return err
	}
	if st := s.snapshot(); st.ActiveState == Active && (len(s.svc.ExecReload) > 0 || s.svc.Type == "notify-reload") {
		return m.Reload(ctx, name)
	}
	return m.Restart(ctx, name)
}

// Kill sends sig to the named service's main process (whom "main") or to
// every process of the unit ("all", systemctl's default), without
// stopping it: what follows is the state machine's business (a killed main
// process with Restart= comes back).
func (m *Manager) Kill(name string, sig unix.Signal, whom string) error {
	s, err := m.service(name)
	if err != nil {
		return err
	}
	var pids []int
	switch whom {
	case "main":
		if pid := s.snapshot().MainPID; pid > 0 {
			pids = []int{pid}
		}
	case "all", "":
		pids = s.processes()
	default:
		return fmt.Errorf("kill %s: --kill-whom=%s: want main or all", name, whom)
	}
	if len(pids) == 0 {
		return fmt.Errorf("kill %s: no process to signal", name)
	}
	for _, pid := range pids {
		_ = unix.Kill(pid, sig)
	}
	return nil
}

// DaemonReload reads the units again from a new loader (after files
// changed, `systemctl daemon-reload`): a service that is not running takes
// its new definition now, a running one at its next start, as under
// systemd.
func (m *Manager) DaemonReload(l *units.Loader) {
	m.loadMu.Lock()
	m.loader = l
	m.loadMu.Unlock()
}

// refresh gives s the unit as loaded now, unless s runs.
func (s *service) refresh(u *units.Unit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.unit == u || u.Service == nil {
		return
	}
	switch s.state {
	case Inactive, Failed:
		s.unit, s.svc = u, u.Service
	default:
		s.pending = u
	}
}

// ResetFailed is `systemctl reset-failed NAME`: a failed service becomes
// inactive, its start-limit count starts over. Other states are left.
func (m *Manager) ResetFailed(name string) error {
	s, err := m.service(name)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == Failed {
		s.state, s.sub, s.result, s.since = Inactive, "dead", "success", m.now()
		s.starts = nil
	}
	return nil
}
