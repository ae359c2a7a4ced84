package services

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/boxinit/boxinit/internal/units"
)

// BootResult is what a boot did with one job of the plan.
type BootResult struct {
	Name     string
	State    string // active, inactive (condition or not run), failed
	Err      error
	Duration time.Duration
}

// Boot starts the plan's jobs, each as soon as every job it is ordered
// after has finished starting (so independent units start in parallel),
// and returns when all are done: services started (or failed, or skipped
// by a condition), targets reached. A job whose required unit failed or
// does not exist fails without starting ("dependency"), as under systemd.
// Timers are left to the timer scheduler (not here yet): reported inactive.
func (m *Manager) Boot(ctx context.Context, plan *units.Plan) []BootResult {
	done := map[string]chan struct{}{}
	results := make([]BootResult, len(plan.Jobs))
	for _, j := range plan.Jobs {
		done[j.Unit.Name] = make(chan struct{})
	}
	var mu sync.Mutex
	failed := map[string]bool{}
	var wg sync.WaitGroup
	for i, j := range plan.Jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done[j.Unit.Name])
			for _, a := range j.After {
				if ch, ok := done[a]; ok {
					select {
					case <-ch:
					case <-ctx.Done():
					}
				}
			}
			start := m.now()
			r := m.bootJob(ctx, j, func(n string) bool { mu.Lock(); defer mu.Unlock(); return failed[n] })
			r.Duration = m.now().Sub(start)
			if r.State == Failed {
				mu.Lock()
				failed[j.Unit.Name] = true
				mu.Unlock()
				m.o.Log.Warn("unit failed at boot", "unit", j.Unit.Name, "err", r.Err)
			}
			results[i] = r
		}()
	}
	wg.Wait()
	return results
}

func (m *Manager) bootJob(ctx context.Context, j *units.Job, isFailed func(string) bool) BootResult {
	r := BootResult{Name: j.Unit.Name}
	if len(j.Missing) > 0 {
		r.State, r.Err = Failed, fmt.Errorf("dependency: %s not found", strings.Join(j.Missing, ", "))
		return r
	}
	for _, req := range j.Requires {
		if isFailed(req) {
			r.State, r.Err = Failed, fmt.Errorf("dependency: %s failed", req)
			return r
		}
	}
	if err := ctx.Err(); err != nil {
		r.State, r.Err = Inactive, err
		return r
	}
	switch {
	case strings.HasSuffix(j.Unit.Name, ".target"):
		r.State = Active
	case j.Unit.Service == nil:
		r.State = Inactive // timers: the next issue's scheduler
	default:
		err := m.Start(ctx, j.Unit.Name)
		st, _ := m.Status(j.Unit.Name)
		r.State, r.Err = st.ActiveState, err
		if err != nil && r.State != Failed {
			r.State = Failed
		}
		if errors.Is(err, errCondition) {
			r.State = Inactive
		}
	}
	return r
}
