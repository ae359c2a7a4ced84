package units

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// BootTargets are the anchors of a boot: what they pull in starts.
var BootTargets = []string{"default.target", "multi-user.target"}

// Job is a unit a boot starts.
type Job struct {
	Unit *Unit
	// After names the jobs of the plan that must have started (or
	// failed) before this one starts: After=, the other side's Before=,
	// and the implicit orderings of systemd (a service after
	// basic.target; a target after what it wants).
	After []string
	// Requires names the jobs whose failure fails this one (Requires=,
	// BindsTo=, Requisite=).
	Requires []string
	// Missing names required units that do not exist: the job fails
	// when it is due, as under systemd.
	Missing []string
	// Essential is true when a chain of Requires= leads from a boot
	// target to the unit: a unit only wanted may be dropped to break an
	// ordering cycle, an essential one may not.
	Essential bool
}

// Skip is a unit a boot does not start, and why.
type Skip struct {
	Name   string
	Reason string
	By     string // the unit that pulled it in
}

// Plan is what a boot starts, in an order that honours every ordering
// (units with no ordering between them may start in parallel: see
// [Job.After]).
type Plan struct {
	Jobs    []*Job
	Skipped []Skip
	// Cycles describes each ordering cycle found and how it was broken.
	Cycles []string
}

// Job returns the job of the named unit, or nil.
func (p *Plan) Job(name string) *Job {
	for _, j := range p.Jobs {
		if j.Unit.Name == name {
			return j
		}
	}
	return nil
}

// BootOptions tune [Loader.Boot].
type BootOptions struct {
	// Skip returns a reason not to start u ("" to start it): boxinit's own
	// cron, the main command's daemon, systemd's own units.
	Skip func(u *Unit) string
}

// unsupportedTypes are unit types boxinit does not run.
var unsupportedTypes = map[string]string{
	"socket": "socket activation is not supported", "mount": "mounts are the container runtime's",
	"automount": "mounts are the container runtime's", "swap": "swap is the host's",
	"device": "devices are the host's", "path": "path units are not supported",
	"slice": "slices need systemd's cgroups", "scope": "scopes need systemd's cgroups",
}

// SystemdOwn reports whether name is one of systemd's own units, which make
// no sense without systemd (systemd-*, getty@ and its kin).
func SystemdOwn(name string) bool {
	for _, p := range []string{"systemd-", "getty@", "serial-getty@", "container-getty@", "console-getty.", "autovt@", "dbus-org.freedesktop."} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

type pull struct {
	name, by string
	hard     bool // Requires=/BindsTo=/Requisite=
}

// Boot computes what a boot starts: every unit the boot targets pull in
// through Wants=, Requires=, Requisite=, BindsTo=, Upholds= and the
// .wants/.requires directories, transitively; masked units, units of a
// type boxinit does not run and units opts.Skip rejects are listed as
// skipped. Ordering cycles are broken as systemd breaks them: a unit of
// the cycle that no boot target requires is dropped (and listed), and the
// cycle is reported; a cycle of essential units only loses one of its
// orderings instead (systemd would fail the boot; a container should come
// up), reported as well.
func (l *Loader) Boot(opts BootOptions) (*Plan, error) {
	plan := &Plan{}
	jobs := map[string]*Job{}
	essential := map[string]bool{}
	queue := []pull{}
	for _, t := range BootTargets {
		queue = append(queue, pull{name: t, hard: true})
	}
	skipped := map[string]bool{}
	skip := func(name, by, why string) {
		if !skipped[name] {
			skipped[name] = true
			plan.Skipped = append(plan.Skipped, Skip{Name: name, By: by, Reason: why})
		}
	}
	canon := map[string]string{} // requested name → unit name
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		u, err := l.Load(p.name)
		switch {
		case errors.Is(err, ErrNotFound):
			if p.hard && p.by != "" {
				if n, _ := ParseName(p.name); unsupportedTypes[n.Type] == "" && !SystemdOwn(p.name) {
					jobs[canon[p.by]].Missing = appendNew(jobs[canon[p.by]].Missing, p.name)
				}
			}
			skip(p.name, p.by, "not found")
			continue
		case err != nil:
			skip(p.name, p.by, err.Error())
			continue
		}
		canon[p.name] = u.Name
		if jobs[u.Name] != nil || skipped[u.Name] {
			continue
		}
		n, _ := ParseName(u.Name)
		switch {
		case u.Masked:
			skip(u.Name, p.by, "masked")
			continue
		case unsupportedTypes[n.Type] != "":
			skip(u.Name, p.by, unsupportedTypes[n.Type])
			continue
		case SystemdOwn(u.Name):
			skip(u.Name, p.by, "one of systemd's own units")
			continue
		case opts.Skip != nil:
			if why := opts.Skip(u); why != "" {
				skip(u.Name, p.by, why)
				continue
			}
		}
		jobs[u.Name] = &Job{Unit: u}
		for _, d := range u.Requires {
			queue = append(queue, pull{d, u.Name, true})
		}
		for _, d := range u.BindsTo {
			queue = append(queue, pull{d, u.Name, true})
		}
		for _, d := range u.Requisite {
			queue = append(queue, pull{d, u.Name, true})
		}
		for _, d := range append(append([]string{}, u.Wants...), u.Upholds...) {
			queue = append(queue, pull{d, u.Name, false})
		}
	}
	resolve := func(name string) string {
		if c, ok := canon[name]; ok {
			return c
		}
		if u, err := l.Load(name); err == nil {
			return u.Name
		}
		return name
	}
	// Essential: reached from a boot target by Requires=-like pulls only.
	var mark func(name string)
	mark = func(name string) {
		j := jobs[name]
		if j == nil || essential[name] {
			return
		}
		essential[name] = true
		for _, d := range append(append(append([]string{}, j.Unit.Requires...), j.Unit.BindsTo...), j.Unit.Requisite...) {
			mark(resolve(d))
		}
	}
	for _, t := range BootTargets {
		mark(resolve(t))
	}
	for name, j := range jobs {
		j.Essential = essential[name]
	}
	order := map[string]map[string]bool{} // job → the jobs it is after
	addOrder := func(after, before string) {
		after, before = resolve(after), resolve(before)
		if jobs[after] == nil || jobs[before] == nil || after == before {
			return
		}
		if order[after] == nil {
			order[after] = map[string]bool{}
		}
		order[after][before] = true
	}
	for name, j := range jobs {
		u := j.Unit
		for _, d := range u.After {
			addOrder(name, d)
		}
		for _, d := range u.Before {
			addOrder(d, name)
		}
		for _, d := range append(append(append([]string{}, u.Requires...), u.BindsTo...), u.Requisite...) {
			if jobs[resolve(d)] != nil {
				j.Requires = appendNew(j.Requires, resolve(d))
			}
		}
		if !u.DefaultDependencies {
			continue
		}
		n, _ := ParseName(name)
		switch n.Type {
		case "target":
			for _, d := range append(append(append([]string{}, u.Wants...), u.Requires...), u.BindsTo...) {
				addOrder(name, d)
			}
		case "service":
			addOrder(name, "basic.target")
			addOrder(name, "sysinit.target")
		case "timer":
			addOrder(name, "sysinit.target")
			addOrder("timers.target", name)
		}
	}
	plan.Cycles = breakCycles(jobs, order, plan)
	for name, j := range jobs {
		for d := range order[name] {
			j.After = append(j.After, d)
		}
		sort.Strings(j.After)
		sort.Strings(j.Requires)
	}
	var err error
	if plan.Jobs, err = topoSort(jobs); err != nil {
		return nil, err
	}
	sort.Slice(plan.Skipped, func(i, k int) bool { return plan.Skipped[i].Name < plan.Skipped[k].Name })
	return plan, nil
}

// breakCycles finds ordering cycles by depth-first search over the jobs in
// name order and breaks each: walking back along the cycle from where it
// closed, the first job that is not essential is dropped (with the jobs
// that require it), as systemd's transaction_verify_order does; when every
// job of the cycle is essential, the ordering that closed it is dropped.
func breakCycles(jobs map[string]*Job, order map[string]map[string]bool, plan *Plan) []string {
	var reports []string
	for {
		cycle := findCycle(jobs, order)
		if cycle == nil {
			return reports
		}
		// cycle[0] is after cycle[1] … after cycle[len-1], which is after cycle[0].
		names := strings.Join(cycle, " → ")
		victim := ""
		for i := len(cycle) - 1; i >= 0; i-- {
			if !jobs[cycle[i]].Essential {
				victim = cycle[i]
				break
			}
		}
		if victim == "" {
			last := cycle[len(cycle)-1]
			delete(order[last], cycle[0])
			reports = append(reports, fmt.Sprintf("ordering cycle %s → %s: every unit in it is required; ignored the ordering of %s after %s", names, cycle[0], last, cycle[0]))
			continue
		}
		reports = append(reports, fmt.Sprintf("ordering cycle %s → %s: %s not started to break it", names, cycle[0], victim))
		dropJob(victim, "ordering cycle "+names+" → "+cycle[0], jobs, order, plan)
	}
}

func dropJob(name, why string, jobs map[string]*Job, order map[string]map[string]bool, plan *Plan) {
	if jobs[name] == nil {
		return
	}
	delete(jobs, name)
	delete(order, name)
	for _, o := range order {
		delete(o, name)
	}
	plan.Skipped = append(plan.Skipped, Skip{Name: name, Reason: why})
	for other, j := range jobs {
		if contains(j.Requires, name) {
			dropJob(other, "requires "+name+", which was dropped", jobs, order, plan)
		}
	}
}

// findCycle returns one ordering cycle as a list of job names, each after
// the next, or nil.
func findCycle(jobs map[string]*Job, order map[string]map[string]bool) []string {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	var cycle []string
	var visit func(n string) bool
	visit = func(n string) bool {
		color[n] = grey
		stack = append(stack, n)
		for _, d := range sortedKeys(order[n]) {
			switch color[d] {
			case grey:
				i := len(stack) - 1
				for stack[i] != d {
					i--
				}
				cycle = append([]string(nil), stack[i:]...)
				return true
			case white:
				if visit(d) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
		return false
	}
	for _, n := range sortedKeys(jobs) {
		if color[n] == white && visit(n) {
			return cycle
		}
	}
	return nil
}

// topoSort lists the jobs so that each comes after everything it is
// ordered after; ties go by name.
func topoSort(jobs map[string]*Job) ([]*Job, error) {
	done := map[string]bool{}
	var out []*Job
	for len(out) < len(jobs) {
		progressed := false
		for _, n := range sortedKeys(jobs) {
			if done[n] {
				continue
			}
			ready := true
			for _, d := range jobs[n].After {
				if !done[d] {
					ready = false
					break
				}
			}
			if ready {
				done[n] = true
				out = append(out, jobs[n])
				progressed = true
			}
		}
		if !progressed {
			return nil, errors.New("units: an ordering cycle is left after breaking cycles")
		}
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
