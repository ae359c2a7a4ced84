package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/boxinit/boxinit/internal/boot"
	"github.com/boxinit/boxinit/internal/cron"
	"github.com/boxinit/boxinit/internal/procfs"
	"github.com/boxinit/boxinit/internal/reaper"
	"github.com/boxinit/boxinit/internal/services"
	"github.com/boxinit/boxinit/internal/status"
)

// statusView gathers what the control socket publishes.
type statusView struct {
	r       *reaper.Reaper
	started time.Time

	mu    sync.Mutex
	state string
	ready time.Time
	boot  []boot.Result
	boots bootInfo // for the command it runs now
	sched *cron.Scheduler
	svcs  *serviceHost
}

// bootInfo is what status shows of a boot beyond its results: a
// *boot.Boot, or a *bootRelay when the boot runs in a child process.
type bootInfo interface {
	Running() *boot.Running
	HostCertExpiry() time.Time
}

func (v *statusView) setBoot(b bootInfo) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.boots = b
}

func newStatusView(r *reaper.Reaper, svcs *serviceHost) *statusView {
	return &statusView{r: r, started: time.Now(), state: status.Booting, svcs: svcs}
}

func (v *statusView) addResult(res boot.Result) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.boot = append(v.boot, res)
}

func (v *statusView) setState(s string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.state = s
	if s == status.Ready {
		v.ready = time.Now()
	}
}

func (v *statusView) setCron(s *cron.Scheduler) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.sched = s
}

func (v *statusView) snapshot() status.Document {
	v.mu.Lock()
	in := docInputs{pid: os.Getpid(), started: v.started, state: v.state, ready: v.ready,
		boot: append([]boot.Result(nil), v.boot...)}
	if v.state == status.Booting && v.boots != nil {
		in.running = v.boots.Running()
	}
	if v.boots != nil {
		in.certExpiry = v.boots.HostCertExpiry()
	}
	sched, svcs := v.sched, v.svcs
	v.mu.Unlock()
	in.isInit = v.r.IsInit()
	in.main = v.r.Main()
	in.orphans = v.r.Orphans()
	if procs, err := procfs.List("/proc"); err == nil {
		for _, p := range procs {
			if p.PPID == in.pid {
				in.children++
			}
		}
	}
	if m := svcs.running(); m != nil {
		in.services = m.List()
	}
	in.timers = svcs.timerHost().rows()
	if sched != nil {
		in.cron = true
		in.cronJobs = sched.Jobs(time.Now())
		in.cronErrs = sched.Errors()
	}
	return buildDocument(in)
}

// docInputs are the values the status document is made of, in the types
// of the packages that produce them.
type docInputs struct {
	pid        int
	isInit     bool
	started    time.Time
	state      string
	ready      time.Time
	boot       []boot.Result
	running    *boot.Running
	certExpiry time.Time
	main       *reaper.MainStatus
	children   int
	orphans    uint64
	services   []services.Status // nil: PID 1 runs no units
	timers     []timerRow
	cron       bool // the scheduler runs
	cronJobs   []cron.JobStatus
	cronErrs   []cron.LineError
}

// buildDocument turns the producers' values into the status document.
func buildDocument(in docInputs) status.Document {
	d := status.Document{
		Version: status.Version, Boxinit: version, PID: in.pid, Mode: "subreaper", Started: in.started,
		State: in.state, HostCertExpires: in.certExpiry,
		Processes: status.Processes{Children: in.children, OrphansReaped: in.orphans},
	}
	if in.boot != nil {
		d.Boot = make([]status.BootStep, 0, len(in.boot))
	}
	for _, r := range in.boot {
		d.Boot = append(d.Boot, status.BootStep{Step: r.Step, Outcome: string(r.Outcome), Duration: r.Duration, Message: r.Message})
	}
	if r := in.running; r != nil {
		d.BootRunning = &status.BootRunning{Step: r.Step, Command: r.Command, PID: r.PID, Since: r.Since, Timeout: r.Timeout}
	}
	if m := in.main; m != nil {
		d.Main = &status.Main{Argv: m.Argv, PID: m.PID, Started: m.Started, Running: m.Running, ExitCode: m.ExitCode}
	}
	if in.isInit {
		d.Mode = "pid1"
	}
	if in.state == status.Ready {
		d.ReadySince = in.ready
	}
	if in.services != nil {
		d.Services = serviceStatuses(in.services)
	}
	for _, r := range in.timers {
		d.Timers = append(d.Timers, status.Timer{Name: r.Name, Activates: r.Unit, State: r.State, Next: r.Next, Last: r.Last, Skipped: r.Skipped})
	}
	if in.cron {
		d.Cron = &status.Cron{Jobs: cronJobs(in.cronJobs)}
		d.Cron.Rejected, d.Cron.Refused = cronProblems(in.cronErrs)
	}
	return d
}

// runStatus is `boxinit status [--json] [--ready] [--socket PATH]`.
func runStatus(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("boxinit status", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the status as one JSON document")
	ready := fs.Bool("ready", false, "print nothing; exit 0 when ready, 1 when booting or stopping (a readiness probe)")
	socket := fs.String("socket", "/run/boxinit.sock", "control socket of the running boxinit")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if v, ok := os.LookupEnv("BOXINIT_SOCKET"); ok && !fs.Changed("socket") {
		*socket = v // empty: the init runs without a socket, as it was told
	}
	unreachable := 1
	if *ready {
		unreachable = 3
	}
	if *socket == "" {
		if !*ready {
			fmt.Fprintln(stderr, "boxinit status: no control socket: BOXINIT_SOCKET is empty, so boxinit runs without one")
		}
		return unreachable
	}
	d, err := status.Query(*socket, 3*time.Second)
	if err != nil {
		if !*ready {
			fmt.Fprintln(stderr, "boxinit status:", err)
		}
		return unreachable
	}
	switch {
	case *ready:
		if d.State == status.Ready {
			return 0
		}
		return 1
	case *asJSON:
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(d)
	default:
		status.Render(stdout, d, time.Now())
	}
	return 0
}

// cronJobs converts the scheduler's view into the document's type.
func cronJobs(list []cron.JobStatus) []status.CronJob {
	var out []status.CronJob
	for _, j := range list {
		out = append(out, status.CronJob{Job: j.Job, Schedule: j.Schedule, User: j.User, Command: j.Command, Running: j.Running,
			Runs: j.Runs, LastStart: j.LastStart, LastCode: j.LastCode, LastTook: j.LastTook, NextRun: j.NextRun})
	}
	return out
}

// serviceStatuses converts the supervisor's view into the status
// document's own type (its fields are versioned; the supervisor's are not).
func serviceStatuses(list []services.Status) []status.Service {
	out := make([]status.Service, 0, len(list))
	for _, st := range list {
		s := status.Service{Name: st.Name, State: st.ActiveState, Sub: st.SubState, Result: st.Result,
			MainPID: st.MainPID, Since: st.Since, Restarts: st.Restarts, Condition: st.Condition}
		if st.LastExit != nil {
			s.LastExit = st.LastExit.String()
		}
		if st.ActiveState == services.Failed {
			s.LastLines = st.Log
		}
		out = append(out, s)
	}
	return out
}
