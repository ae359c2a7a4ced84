package reaper

import (
	"sync"
	"time"
)

// MainStatus is what `boxinit status` shows of the main command.
type MainStatus struct {
	Argv     []string  `json:"argv"`
	PID      int       `json:"pid"`
	Started  time.Time `json:"started"`
	Running  bool      `json:"running"`
	ExitCode *int      `json:"exit_code,omitempty"`
}

type mainRecord struct {
	mu      sync.Mutex
	proc    *Proc
	argv    []string
	started time.Time
}

func (r *Reaper) setMain(p *Proc, argv []string) {
	r.main.mu.Lock()
	defer r.main.mu.Unlock()
	r.main.proc, r.main.argv, r.main.started = p, argv, time.Now()
}

// Main reports the main command, or nil before it started (or when there
// is none).
func (r *Reaper) Main() *MainStatus {
	r.main.mu.Lock()
	defer r.main.mu.Unlock()
	p := r.main.proc
	if p == nil {
		return nil
	}
	st := &MainStatus{Argv: r.main.argv, PID: p.Pid, Started: r.main.started, Running: true}
	select {
	case <-p.Done():
		code := ExitCode(p.status)
		st.Running, st.ExitCode = false, &code
	default:
	}
	return st
}
