package cron

import (
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/boxinit/boxinit/internal/linelog"
	"github.com/boxinit/boxinit/internal/users"
)

// Starter starts children; *reaper.Reaper is one.
type Starter = linelog.Starter

// Options configure a Scheduler.
type Options struct {
	Root         string            // root of the file system (users, homes, crontabs)
	Sources      []string          // system crontab files and directories, inside Root
	Spools       []string          // user crontab directories, inside Root: file USER is USER's crontab
	Env          []string          // the merged boxinit environment, under each job's
	Redact       *linelog.Redactor // masks rc.env values in the jobs' output; nil: none
	AllowOverlap bool              // start a run while the previous one still runs
	Zone         *time.Location
	Log          *slog.Logger
	Run          Starter
}

// DefaultSpools are where `crontab -e` writes: Debian and Ubuntu, cronie
// (Fedora, RHEL), Alpine's busybox crond.
var DefaultSpools = []string{"/var/spool/cron/crontabs", "/var/spool/cron", "/etc/crontabs"}

// Scheduler runs the jobs of the crontabs in process. Files are read and
// messages logged outside its lock: a status query never waits on a
// reload.
type Scheduler struct {
	o    Options
	stop chan struct{}
	done chan struct{}

	startRun func(j *job, n int, start time.Time) // s.run; tests record instead

	idMu       sync.Mutex
	identities map[string]users.Identity // user → identity, while idSig holds
	idSig      string                    // signature of passwd and group

	mailOnce sync.Once // the note that MAILTO sends no mail, logged once

	mu       sync.Mutex
	files    map[string]*source   // crontab path → what it holds
	high     map[string]time.Time // zone → latest wall minute handled
	lastReal int64                // unix minute of the last tick
	lastTick time.Time            // wall time of the last tick: a step back re-bases @every
}

type job struct {
	*Entry
	running   bool
	runs      int
	lastStart time.Time
	lastCode  int
	lastTook  time.Duration
	nextEvery time.Time
}

// New reads every crontab. Bad lines and refused files are returned and
// logged; the good lines of every accepted file run.
func New(o Options) (*Scheduler, []LineError) {
	if o.Zone == nil {
		o.Zone = time.Local
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	s := &Scheduler{o: o, files: map[string]*source{}, high: map[string]time.Time{}}
	s.startRun = func(j *job, n int, start time.Time) {
		e := j.Entry // under s.mu: a reload may replace it while the run goes on
		go s.run(j, e, n, start)
	}
	s.reload(true)
	return s, s.Errors()
}

// Start runs the @reboot jobs and starts the clock.
func (s *Scheduler) Start() {
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	now := time.Now()
	s.prime(now)
	for _, j := range s.Jobs(now) {
		s.o.Log.Info("cron job loaded", "job", j.Job, "schedule", j.Schedule, "user", j.User, "next_run", j.NextRun)
	}
	go s.loop()
}

// Stop stops scheduling; runs in progress go on (the shutdown stops them
// with every other process).
func (s *Scheduler) Stop() {
	if s.stop == nil {
		return
	}
	close(s.stop)
	<-s.done
}

// Errors lists the rejected lines and refused files of every crontab, for
// check and status.
func (s *Scheduler) Errors() []LineError {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []LineError
	for _, p := range s.paths() {
		out = append(out, s.files[p].errs...)
	}
	return out
}

// paths lists the crontabs in file order. Called with s.mu held.
func (s *Scheduler) paths() []string {
	out := make([]string, 0, len(s.files))
	for p := range s.files {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// jobs lists every job in file and line order. Called with s.mu held.
func (s *Scheduler) jobs() []*job {
	var out []*job
	for _, p := range s.paths() {
		out = append(out, s.files[p].jobs...)
	}
	return out
}
