package services

import (
	"context"
	"fmt"

	"github.com/boxinit/boxinit/internal/units"
	"github.com/boxinit/boxinit/internal/units/tmpfiles"
)

// SystemResult is what BootSystem did.
type SystemResult struct {
	Plan    *units.Plan
	Units   []BootResult
	Skipped []tmpfiles.LineError // tmpfiles.d lines that were not read
	Errors  []error              // tmpfiles.d lines that failed, generators that failed
}

// BootSystem does at boot what systemd does before and while it reaches
// default.target, in its order: tmpfiles.d (--create --remove --boot), the
// generators, loading the units (with what the generators made), the boot
// plan and its start. What fails on the way is reported and does not stop
// the rest, as under systemd; only a plan that cannot be computed is an
// error.
func (m *Manager) BootSystem(ctx context.Context, opts units.BootOptions) (*SystemResult, error) {
	res := &SystemResult{}
	root := m.o.Root
	lines, bad, err := tmpfiles.Read(root, units.HostSpecifiers(units.ReadHost(root)))
	if err != nil {
		res.Errors = append(res.Errors, err)
	}
	res.Skipped = bad
	if err := tmpfiles.Apply(lines, tmpfiles.Options{Root: root, Boot: true, Remove: true}); err != nil {
		res.Errors = append(res.Errors, err)
		m.o.Log.Warn("tmpfiles.d: some lines failed", "err", err)
	}
	if err := m.RunGenerators(ctx); err != nil {
		res.Errors = append(res.Errors, err)
		m.o.Log.Warn("generators: some failed", "err", err)
	}
	l, err := units.NewLoader(root)
	if err != nil {
		return res, fmt.Errorf("load units: %w", err)
	}
	m.DaemonReload(l)
	if res.Plan, err = l.Boot(opts); err != nil {
		return res, fmt.Errorf("boot plan: %w", err)
	}
	for _, c := range res.Plan.Cycles {
		m.o.Log.Warn(c)
	}
	res.Units = m.Boot(ctx, res.Plan)
	return res, nil
}
