package cron

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/boxinit/boxinit/internal/linelog"
	"github.com/boxinit/boxinit/internal/reaper"
	"github.com/boxinit/boxinit/internal/users"
)

// Starter starts children; *reaper.Reaper is one.
type Starter interface {
	Start(*reaper.Cmd) (*reaper.Proc, error)
}

// Options configure a Scheduler.
type Options struct {
	Root         string   // root of the file system (users, homes, crontabs)
	Sources      []string // crontab files and directories, inside Root
	Env          []string // the merged boxinit environment, under each job's
	AllowOverlap bool     // start a run while the previous one still runs
	Zone         *time.Location
	Log          *slog.Logger
	Run          Starter
}

// Scheduler runs the jobs of the system crontabs in process.
type Scheduler struct {
	o    Options
	stop chan struct{}
	done chan struct{}

	startRun func(j *job, n int, start time.Time) // s.run; tests record instead

	idMu       sync.Mutex
	identities map[string]users.Identity // user → identity, while idSig holds
	idSig      string                    // signature of passwd and group

	mu       sync.Mutex
	files    map[string]*source   // crontab path → what it holds
	high     map[string]time.Time // zone → latest wall minute handled
	lastReal int64                // unix minute of the last tick
}

type source struct {
	sig  string // size, mtime and inode: a change means re-read
	jobs []*job
	errs []LineError
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

// runPartsName() is what Debian's cron accepts in /etc/cron.d (run-parts):
// anything else, such as foo.dpkg-old, .placeholder or foo~, is skipped.
var runPartsName = lazyRegexp(`^[A-Za-z0-9_-]+$`)

// New reads every crontab. Bad lines are skipped and returned; the other
// lines of the file run.
func New(o Options) (*Scheduler, []LineError) {
	if o.Zone == nil {
		o.Zone = time.Local
	}
	s := &Scheduler{o: o, files: map[string]*source{}, high: map[string]time.Time{}}
	s.startRun = func(j *job, n int, start time.Time) { go s.run(j, n, start) }
	s.reload(true)
	return s, s.Errors()
}

// Errors lists the rejected lines of every crontab, for check and status.
func (s *Scheduler) Errors() []LineError {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []LineError
	for _, p := range s.paths() {
		out = append(out, s.files[p].errs...)
	}
	return out
}

func (s *Scheduler) paths() []string {
	out := make([]string, 0, len(s.files))
	for p := range s.files {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// crontabFiles lists the files of the sources: files as given, the
// run-parts names of directories in lexical order.
func (s *Scheduler) crontabFiles() []string {
	var out []string
	for _, src := range s.o.Sources {
		real := filepath.Join(s.o.Root, src)
		fi, err := os.Stat(real)
		if err != nil {
			continue // a missing crontab is no error: a container may have none
		}
		if !fi.IsDir() {
			out = append(out, src)
			continue
		}
		entries, _ := os.ReadDir(real)
		for _, e := range entries {
			if runPartsName().MatchString(e.Name()) && !e.IsDir() {
				out = append(out, filepath.Join(src, e.Name()))
			}
		}
	}
	return out
}

func signature(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%d/%d/%v", fi.Size(), fi.ModTime().UnixNano(), inode(fi))
}

// reload re-reads the crontabs that changed. A file that now has errors
// keeps its previous jobs (an edit in progress does not stop them); at the
// first load its good lines run.
func (s *Scheduler) reload(first bool) {
	known := passwdNames(s.o.Root)
	seen := map[string]bool{}
	for _, path := range s.crontabFiles() {
		seen[path] = true
		real := filepath.Join(s.o.Root, path)
		sig := signature(real)
		old := s.files[path]
		if old != nil && old.sig == sig {
			continue
		}
		f, err := os.Open(real)
		if err != nil {
			s.files[path] = &source{sig: sig, errs: []LineError{{File: path, Err: err}}}
			continue
		}
		ct := Parse(path, f, s.o.Zone, func(u string) bool { return known[u] })
		f.Close()
		if ct.MailTo {
			s.o.Log.Debug("MAILTO is accepted and ignored: job output goes to the log", "file", path)
		}
		src := &source{sig: sig, errs: ct.Errors}
		if old != nil && !first && len(ct.Errors) > 0 {
			src.jobs = old.jobs
			s.o.Log.Warn("crontab has errors: keeping its previous jobs", "file", path, "errors", len(ct.Errors))
		} else {
			for _, e := range ct.Entries {
				src.jobs = append(src.jobs, s.carryOver(old, e))
			}
			if !first {
				s.o.Log.Info("crontab reloaded", "file", path, "jobs", len(src.jobs))
			}
		}
		for _, le := range ct.Errors {
			s.o.Log.Warn("crontab line skipped", "job", fmt.Sprintf("%s:%d", le.File, le.Line), "err", le.Err)
		}
		s.files[path] = src
	}
	for path := range s.files {
		if !seen[path] {
			delete(s.files, path)
			s.o.Log.Info("crontab removed", "file", path)
		}
	}
}

// carryOver keeps the run state of an unchanged line across a reload, so
// that a run in progress still blocks an overlapping one.
func (s *Scheduler) carryOver(old *source, e *Entry) *job {
	if old != nil {
		for _, j := range old.jobs {
			if j.Line == e.Line && j.Spec == e.Spec && j.Command == e.Command && j.User == e.User {
				j.Entry = e
				return j
			}
		}
	}
	return &job{Entry: e}
}

func passwdNames(root string) map[string]bool {
	out := map[string]bool{}
	f, err := os.Open(filepath.Join(root, "/etc/passwd"))
	if err != nil {
		return out
	}
	defer f.Close()
	pw, _ := users.ParsePasswd(f)
	for _, p := range pw {
		out[p.Name] = true
	}
	return out
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

// prime sets the clocks at now and runs the @reboot jobs.
func (s *Scheduler) prime(now time.Time) {
	s.mu.Lock()
	s.lastReal = now.Unix() / 60
	for _, j := range s.jobs() {
		switch {
		case j.reboot:
			s.launch(j, now)
		case j.every > 0:
			j.nextEvery = now.Truncate(j.every).Add(j.every)
		default:
			s.high[j.Zone.String()] = wallMinute(now, j.Zone)
		}
	}
	s.mu.Unlock()
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

func (s *Scheduler) jobs() []*job {
	var out []*job
	for _, p := range s.paths() {
		out = append(out, s.files[p].jobs...)
	}
	return out
}

func (s *Scheduler) loop() {
	defer close(s.done)
	for {
		now := time.Now()
		wake := now.Truncate(time.Minute).Add(time.Minute)
		s.mu.Lock()
		for _, j := range s.jobs() {
			if j.every > 0 && j.nextEvery.Before(wake) {
				wake = j.nextEvery
			}
		}
		s.mu.Unlock()
		timer := time.NewTimer(time.Until(wake))
		select {
		case <-s.stop:
			timer.Stop()
			return
		case <-timer.C:
		}
		s.tick(time.Now())
	}
}

// tick starts what is due at now: @every jobs by real time, calendar jobs
// once per real minute by the wall clock of their zone (see schedule.go).
func (s *Scheduler) tick(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, j := range s.jobs() {
		if j.every > 0 && !now.Before(j.nextEvery) {
			s.launch(j, now)
			j.nextEvery = now.Truncate(j.every).Add(j.every)
		}
	}
	minute := now.Unix() / 60
	if minute == s.lastReal {
		return
	}
	s.lastReal = minute
	s.reload(false)
	walls := map[string]time.Time{}
	for _, j := range s.jobs() {
		if j.spec == nil {
			continue
		}
		zone := j.Zone.String()
		w := wallMinute(now, j.Zone)
		walls[zone] = w
		high, ok := s.high[zone]
		if !ok {
			high = w.Add(-time.Minute)
		}
		if due(j.Entry, high, w) {
			s.launch(j, now)
		}
	}
	for zone, w := range walls {
		high, ok := s.high[zone]
		if ok && w.Sub(high) > maxCatchUp {
			s.o.Log.Warn("clock jumped forward: runs in between skipped", "zone", zone, "from", high, "to", w)
		}
		if !ok || w.After(high) {
			s.high[zone] = w
		}
	}
}

// launch starts a run of j unless the previous one still runs (and overlap
// is not allowed). Called with s.mu held.
func (s *Scheduler) launch(j *job, now time.Time) {
	if j.running && !s.o.AllowOverlap {
		s.o.Log.Info("previous run still going: run skipped", "job", j.ID(), "user", j.User, "run", j.runs+1)
		return
	}
	j.runs++
	j.running = true
	j.lastStart = now
	s.startRun(j, j.runs, now)
}

// run runs one job as its user and logs its output and outcome.
func (s *Scheduler) run(j *job, n int, start time.Time) {
	log := s.o.Log.With("job", j.ID(), "user", j.User, "run", n)
	code := s.execute(j, log)
	took := time.Since(start)
	log.Info("job finished", "schedule", j.Spec, "code", code, "duration", took.Round(time.Millisecond))
	s.mu.Lock()
	j.running = false
	j.lastCode, j.lastTook = code, took
	s.mu.Unlock()
}

// identity returns the user's ids, groups and home, read again only when
// /etc/passwd or /etc/group changed: a job that runs every second should
// not parse them every second.
func (s *Scheduler) identity(user string) (users.Identity, error) {
	sig := signature(filepath.Join(s.o.Root, "/etc/passwd")) + "|" + signature(filepath.Join(s.o.Root, "/etc/group"))
	s.idMu.Lock()
	defer s.idMu.Unlock()
	if sig != s.idSig {
		s.identities, s.idSig = map[string]users.Identity{}, sig
	}
	if id, ok := s.identities[user]; ok {
		return id, nil
	}
	id, err := users.LookupIdentity(s.o.Root, user)
	if err == nil {
		s.identities[user] = id
	}
	return id, err
}

// execute starts `SHELL -c COMMAND` as the job's user and waits for it.
func (s *Scheduler) execute(j *job, log *slog.Logger) int {
	id, err := s.identity(j.User)
	if err != nil {
		log.Error("cannot run job", "err", err)
		return -1
	}
	env := id.Env(s.o.Env) // login variables over boxinit's environment
	for _, kv := range j.Env {
		env = setEnv(env, kv) // the crontab's own lines win, PATH included
	}
	cmd := id.Command([]string{j.Shell, "-c", j.Command}, env)
	cmd.Env = env // Command puts the login PATH back; the crontab's PATH must win
	cmd.Dir = filepath.Join(s.o.Root, id.Home)
	if _, err := os.Stat(cmd.Dir); err != nil {
		cmd.Dir = "/"
	}

	var waits []func()
	for _, stream := range []string{"stdout", "stderr"} {
		w, wait, err := linelog.Pipe(func(line string) { log.Info(line, "stream", stream) }, time.Second)
		if err != nil {
			log.Error("cannot run job", "err", err)
			return -1
		}
		defer w.Close()
		waits = append(waits, wait)
		if stream == "stdout" {
			cmd.Stdout = w
		} else {
			cmd.Stderr = w
		}
	}
	var stdinW *os.File
	if j.Stdin != "" {
		r, w, err := os.Pipe()
		if err != nil {
			log.Error("cannot run job", "err", err)
			return -1
		}
		cmd.Stdin, stdinW = r, w
		defer r.Close()
	}
	log.Debug("job started", "schedule", j.Spec)
	p, err := s.o.Run.Start(cmd)
	cmd.Stdout.Close()
	cmd.Stderr.Close()
	if stdinW != nil {
		go func() {
			_, _ = stdinW.WriteString(j.Stdin)
			stdinW.Close()
		}()
	}
	if err != nil {
		log.Error("cannot run job", "err", err)
		for _, wait := range waits {
			wait()
		}
		return 127
	}
	code := p.ExitCode()
	for _, wait := range waits {
		wait()
	}
	return code
}

// setEnv replaces or appends NAME=value in env.
func setEnv(env []string, kv string) []string {
	name, _, _ := strings.Cut(kv, "=")
	for i, e := range env {
		if strings.HasPrefix(e, name+"=") {
			env[i] = kv
			return env
		}
	}
	return append(env, kv)
}

// JobStatus is what `boxinit status` shows of a job.
type JobStatus struct {
	Job       string        `json:"job"` // file:line
	Schedule  string        `json:"schedule"`
	User      string        `json:"user"`
	Command   string        `json:"command"`
	Running   bool          `json:"running"`
	Runs      int           `json:"runs"`
	LastStart time.Time     `json:"last_start,omitzero"`
	LastCode  int           `json:"last_code"`
	LastTook  time.Duration `json:"last_duration_ns"`
	NextRun   time.Time     `json:"next_run,omitzero"`
}

// Jobs returns the state of every job, in file and line order.
func (s *Scheduler) Jobs(now time.Time) []JobStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []JobStatus
	for _, j := range s.jobs() {
		st := JobStatus{Job: j.ID(), Schedule: j.Spec, User: j.User, Command: j.Command, Running: j.running,
			Runs: j.runs, LastStart: j.lastStart, LastCode: j.lastCode, LastTook: j.lastTook}
		switch {
		case j.every > 0:
			st.NextRun = j.nextEvery
		case j.spec != nil:
			st.NextRun = nextRun(j.Entry, now)
		}
		out = append(out, st)
	}
	return out
}
