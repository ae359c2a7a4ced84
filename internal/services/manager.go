package services

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/boxinit/boxinit/internal/reaper"
	"github.com/boxinit/boxinit/internal/units"
)

// Starter starts children and adopts the daemons they leave behind (a
// forking service's PIDFile= process, a notify service's MAINPID=), so
// that their exit statuses come from the one wait4 loop too;
// *reaper.Reaper is one.
type Starter interface {
	Start(*reaper.Cmd) (*reaper.Proc, error)
	Mark() reaper.Mark
	Adopt(pid int, since reaper.Mark) (*reaper.Proc, error)
}

// Options configure a Manager.
type Options struct {
	Root    string   // root of the file system (accounts, PID files, directories)
	Env     []string // the environment every service starts from
	Log     *slog.Logger
	Run     Starter
	Facts   units.Facts // what conditions test
	ProcDir string      // /proc
	Self    string      // boxinit's executable, run as the exec helper
	// Redact masks secrets (rc.env's values) in every line a service
	// prints before it is logged or kept; nil keeps lines as they are.
	Redact func(string) string
}

// Manager runs services.
type Manager struct {
	o      Options
	loader *units.Loader
	now    func() time.Time

	loadMu sync.Mutex // the Loader is not safe for concurrent use

	mu       sync.Mutex
	services map[string]*service // by unit name
	order    []string            // start order, for the stop at shutdown
	onChange func(unit string)
}

// OnChange has fn called with a service's name after each change of its
// ActiveState (the timers learn so that a unit ended, whoever started
// it). fn must not block; it replaces an earlier fn.
func (m *Manager) OnChange(fn func(unit string)) {
	m.mu.Lock()
	m.onChange = fn
	m.mu.Unlock()
}

func (m *Manager) changed(unit string) {
	m.mu.Lock()
	fn := m.onChange
	m.mu.Unlock()
	if fn != nil {
		fn(unit)
	}
}

// New returns a Manager that loads units with loader.
func New(o Options, loader *units.Loader) *Manager {
	if o.ProcDir == "" {
		o.ProcDir = "/proc"
	}
	if o.Self == "" {
		o.Self, _ = os.Executable()
	}
	return &Manager{o: o, loader: loader, now: time.Now, services: map[string]*service{}}
}

// service returns the runtime of the named unit (an alias finds its unit).
func (m *Manager) service(name string) (*service, error) {
	m.loadMu.Lock()
	u, err := m.loader.Load(name)
	m.loadMu.Unlock()
	if err != nil {
		return nil, err
	}
	if u.Masked {
		return nil, fmt.Errorf("unit %s is masked", name)
	}
	if u.Service == nil {
		return nil, fmt.Errorf("unit %s is not a service", name)
	}
	for _, d := range u.Diags {
		if d.Severity == units.Error {
			return nil, fmt.Errorf("unit %s: %s", name, d)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.services[u.Name]; ok {
		s.refresh(u)
		return s, nil
	}
	s := &service{m: m, unit: u, svc: u.Service, log: m.o.Log.With("unit", u.Name), ring: newRing(),
		state: Inactive, sub: "dead", since: m.now(), seeds: map[int]bool{}}
	m.services[u.Name] = s
	return s, nil
}

// Start starts the named service and returns when it is up (or, for a
// oneshot, done). A start skipped by a Condition*= is no error.
func (m *Manager) Start(ctx context.Context, name string) error {
	s, err := m.service(name)
	if err != nil {
		return err
	}
	s.job.Lock()
	defer s.job.Unlock()
	err = s.start(ctx)
	if errors.Is(err, errCondition) {
		return nil
	}
	if err == nil {
		m.mu.Lock()
		m.order = append(slices.DeleteFunc(m.order, func(n string) bool { return n == s.unit.Name }), s.unit.Name)
		m.mu.Unlock()
	}
	return err
}

// Stop stops the named service, and first the services that are PartOf=
// it.
func (m *Manager) Stop(ctx context.Context, name string) error {
	s, err := m.service(name)
	if err != nil {
		return err
	}
	var errs []error
	for _, part := range m.related(s.unit, func(u *units.Unit) []string { return u.PartOf }) {
		errs = append(errs, m.Stop(ctx, part))
	}
	s.cancelStart()
	s.job.Lock()
	defer s.job.Unlock()
	return errors.Join(append(errs, s.stop(ctx))...)
}

// Restart stops and starts the named service (and its PartOf= parts).
func (m *Manager) Restart(ctx context.Context, name string) error {
	s, err := m.service(name)
	if err != nil {
		return err
	}
	parts := m.related(s.unit, func(u *units.Unit) []string { return u.PartOf })
	var errs []error
	for _, p := range parts {
		errs = append(errs, m.Stop(ctx, p))
	}
	s.cancelStart()
	s.job.Lock()
	s.mu.Lock()
	s.restarting = true
	s.mu.Unlock()
	if err := s.stop(ctx); err != nil {
		errs = append(errs, err)
	}
	s.mu.Lock()
	s.restarting = false
	s.mu.Unlock()
	err = s.start(ctx)
	s.job.Unlock()
	if err != nil && !errors.Is(err, errCondition) {
		errs = append(errs, err)
	}
	for _, p := range parts {
		errs = append(errs, m.Start(ctx, p))
	}
	return errors.Join(errs...)
}

// Reload runs ExecReload= of the named service and of the services with
// ReloadPropagatedFrom= it.
func (m *Manager) Reload(ctx context.Context, name string) error {
	s, err := m.service(name)
	if err != nil {
		return err
	}
	s.job.Lock()
	err = s.reload(ctx)
	s.job.Unlock()
	if errors.Is(err, errNoReload) && len(m.related(s.unit, func(u *units.Unit) []string { return u.ReloadPropagatedFrom })) > 0 {
		err = nil // postgresql.service: its reload is its clusters'
	}
	errs := []error{err}
	for _, r := range m.related(s.unit, func(u *units.Unit) []string { return u.ReloadPropagatedFrom }) {
		if st, _ := m.Status(r); st.ActiveState == Active {
			errs = append(errs, m.Reload(ctx, r))
		}
	}
	return errors.Join(errs...)
}

// related lists the known services whose field names unit u (by any name).
func (m *Manager) related(u *units.Unit, field func(*units.Unit) []string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for name, s := range m.services {
		for _, n := range field(s.unit) {
			if slices.Contains(u.Names, n) {
				out = append(out, name)
			}
		}
	}
	slices.Sort(out)
	return out
}

// Status reports the named service; a service never started is inactive.
func (m *Manager) Status(name string) (Status, error) {
	s, err := m.service(name)
	if err != nil {
		return Status{}, err
	}
	return s.snapshot(), nil
}

// Journal returns up to n (all kept when n < 0) of the lines the named
// service printed after line number seq (0: from the first kept), oldest
// first, and the number of its newest line: `journalctl -u NAME -n N`, and
// with the number given back, `-f`.
func (m *Manager) Journal(name string, seq uint64, n int) ([]JournalLine, uint64, error) {
	s, err := m.service(name)
	if err != nil {
		return nil, 0, err
	}
	lines, last := s.ring.after(seq, n)
	return lines, last, nil
}

// List reports every service the manager has touched, by name.
func (m *Manager) List() []Status {
	m.mu.Lock()
	names := make([]string, 0, len(m.services))
	for n := range m.services {
		names = append(names, n)
	}
	m.mu.Unlock()
	slices.Sort(names)
	out := make([]Status, 0, len(names))
	for _, n := range names {
		st, err := m.Status(n)
		if err == nil {
			out = append(out, st)
		}
	}
	return out
}

// StopAll stops the started services within ctx (the grace period), in
// parallel where the ordering allows: a service waits for the stop of each
// service started after it that is ordered after it (After=/Before=, as
// systemd stops in the reverse of the start ordering); the others stop at
// once. Only later starts are waited for, so a cycle cannot block.
func (m *Manager) StopAll(ctx context.Context) error {
	m.mu.Lock()
	order := slices.Clone(m.order)
	m.mu.Unlock()
	svcs := make([]*service, len(order))
	done := make([]chan struct{}, len(order))
	for i, n := range order {
		svcs[i], _ = m.service(n)
		done[i] = make(chan struct{})
	}
	errs := make([]error, len(order))
	var wg sync.WaitGroup
	for i, s := range svcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done[i])
			if s == nil {
				return
			}
			for j := i + 1; j < len(svcs); j++ {
				if svcs[j] != nil && orderedAfter(svcs[j].unit, s.unit) {
					<-done[j]
				}
			}
			s.cancelStart()
			s.job.Lock()
			errs[i] = s.stop(ctx)
			s.job.Unlock()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// orderedAfter reports whether a starts after b by After= or Before=.
func orderedAfter(a, b *units.Unit) bool {
	named := func(list []string, u *units.Unit) bool {
		return slices.ContainsFunc(u.Names, func(n string) bool { return slices.Contains(list, n) }) || slices.Contains(list, u.Name)
	}
	return named(a.After, b) || named(b.Before, a)
}
