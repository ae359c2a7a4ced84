package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/boxinit/boxinit/internal/calendar"
	"github.com/boxinit/boxinit/internal/services"
	"github.com/boxinit/boxinit/internal/timers"
	"github.com/boxinit/boxinit/internal/units"
)

// Timers: after the services, PID 1 arms the timer units wanted by
// timers.target (and those started later by systemctl) with
// internal/timers on the real clock; an elapse starts the timer's unit
// through the services Manager, one start per elapse (the Timer stays
// Running until the unit is inactive again). The Manager tells every change
// of a unit (OnChange), so a unit that ended, or that the boot or systemctl
// started, moves its timers at once; nothing polls (timerloop.go). A
// timer's own [Unit] conditions are tested when it starts: a failed one
// leaves it unarmed, "skipped" with the condition.
//
// Exactly once. Debian ships some periodic jobs twice: a timer, and a
// cron.d line that does nothing where /run/systemd/system exists
// (e2scrub_all, sysstat, php's sessionclean, certbot, anacron). PID 1
// makes that marker when it runs the units (marker.go), so such a cron.d
// line skips itself and the timer does the work, as on a Debian VM. When
// the marker could not be made, the rule is the other way round: while
// boxinit's cron reads /etc/cron.d, a timer whose package (dpkg's file
// list) also ships a cron.d file that skips itself where systemd runs —
// the file, or a program of that package it names, tests
// /run/systemd/system — is not armed: the cron.d line does the work, once.

// wantedTimers lists the timer units enabled in a timers.target (or
// multi-user.target, default.target) .wants directory under root, sorted.
func wantedTimers(root string) []string {
	seen := map[string]bool{}
	for _, d := range unitDirs {
		for _, t := range []string{"timers.target.wants", "multi-user.target.wants", "default.target.wants"} {
			ents, err := os.ReadDir(filepath.Join(root, d, t))
			if err != nil {
				continue
			}
			for _, e := range ents {
				if strings.HasSuffix(e.Name(), ".timer") {
					seen[e.Name()] = true
				}
			}
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// bootTimers are the timers to arm at boot: those of the boot plan (what a
// started unit wants, as systemd pulls them in) and those enabled for
// timers.target and the boot targets.
func (h *timerHost) bootTimers() []string {
	names := wantedTimers(h.root)
	if h.svcs != nil {
		h.svcs.mu.Lock()
		names = append(names, h.svcs.planTimers...)
		h.svcs.mu.Unlock()
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// loadTimer reads a timer unit's [Timer] section. Problems carry
// file:line.
func loadTimer(l *units.Loader, name, root string) (timers.Section, *units.Unit, []timers.Problem, error) {
	u, err := l.Load(name)
	if err != nil {
		return timers.Section{}, nil, nil, err
	}
	if u.Masked {
		return timers.Section{}, u, nil, fmt.Errorf("unit %s is masked", name)
	}
	var settings []timers.Setting
	for _, a := range u.Sections["Timer"] {
		settings = append(settings, timers.Setting{File: a.File, Line: a.Line, Key: a.Key, Value: a.Value})
	}
	if len(settings) == 0 && u.Fragment != "" {
		settings = []timers.Setting{}
	}
	sec, problems := timers.ParseSection(u.Name, settings, units.ParseDuration, calendar.Parser{Root: root})
	for i := range problems {
		if problems[i].Setting.File == "" {
			problems[i].Setting.File = u.Fragment
		}
	}
	return sec, u, problems, nil
}

// checkTimers is `boxinit check` for the timer units under root: every
// timer unit found, with each bad setting as file:line on stderr. It
// reports whether all were good.
func checkTimers(root string, stdout, stderr io.Writer) bool {
	l, err := units.NewLoader(root)
	if err != nil {
		fmt.Fprintf(stderr, "boxinit: timers: %v\n", err)
		return false
	}
	ok := true
	now := time.Now()
	for _, name := range l.Names() {
		if !strings.HasSuffix(name, ".timer") || strings.Contains(name, "@.") {
			continue
		}
		sec, _, problems, err := loadTimer(l, name, root)
		if err != nil {
			continue // masked, or an alias already checked
		}
		for _, p := range problems {
			fmt.Fprintf(stderr, "boxinit: timer: %s\n", p.Error())
			ok = false
		}
		if len(problems) > 0 {
			continue
		}
		var next time.Time
		for _, s := range sec.Config.OnCalendar {
			if n, found := s.NextCron(now); found && (next.IsZero() || n.Before(next)) {
				next = n
			}
		}
		when := "no calendar elapse"
		if !next.IsZero() {
			when = "next " + next.Format("2006-01-02 15:04 MST")
		}
		fmt.Fprintf(stdout, "timer: %s  %s  activates %s\n", name, when, sec.Unit)
	}
	return ok
}

// cronReadsCronD reports whether boxinit's cron reads /etc/cron.d.
func cronReadsCronD(sources []string) bool {
	for _, s := range sources {
		if path.Clean(s) == "/etc/cron.d" {
			return true
		}
	}
	return false
}

// cronTwin returns the cron.d file (path under root, "/etc/cron.d/x")
// that does the work of the timer unit whose file is fragment, by the
// exactly-once rule above, or "".
func cronTwin(root, fragment string) string {
	if fragment == "" {
		return ""
	}
	lists, _ := filepath.Glob(filepath.Join(root, "var/lib/dpkg/info/*.list"))
	for _, list := range lists {
		files := readLines(list)
		if !slices.Contains(files, fragment) && !slices.Contains(files, "/usr"+fragment) &&
			!slices.Contains(files, strings.TrimPrefix(fragment, "/usr")) {
			continue
		}
		for _, f := range files {
			if !strings.HasPrefix(f, "/etc/cron.d/") {
				continue
			}
			if skipsWhereSystemdRuns(root, f, files) {
				return f
			}
		}
	}
	return ""
}

// skipsWhereSystemdRuns reports whether the cron.d file (or a program of
// its package that one of its words names) tests /run/systemd/system.
func skipsWhereSystemdRuns(root, cronFile string, pkgFiles []string) bool {
	data, err := readRegular(filepath.Join(root, cronFile))
	if err != nil {
		return false
	}
	if strings.Contains(string(data), markerDir) {
		return true
	}
	words := map[string]bool{}
	for _, w := range strings.FieldsFunc(string(data), func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == ';' || r == '&' || r == '|' || r == '>' || r == '<'
	}) {
		words[path.Base(w)] = true
	}
	for _, f := range pkgFiles {
		if !words[path.Base(f)] || strings.HasPrefix(f, "/etc/cron.d/") {
			continue
		}
		if prog, err := readRegular(filepath.Join(root, f)); err == nil && strings.Contains(string(prog), markerDir) {
			return true
		}
	}
	return false
}

func readRegular(p string) ([]byte, error) {
	fi, err := os.Lstat(p)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > 1<<20 {
		return nil, fmt.Errorf("%s: not a small regular file", p)
	}
	return os.ReadFile(p)
}

func readLines(p string) []string {
	f, err := os.Open(p)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// timerEntry is one loaded timer.
type timerEntry struct {
	t       *timers.Timer
	unit    string // the unit it activates
	skipped string // why it is not armed ("" when it is)
	// unitInfo is what is known of the unit: when it last left and entered
	// inactive, whoever started it (systemctl, boot, this timer).
	unitInfo timers.Unit
	// starting: the start of its unit has not returned yet (a oneshot's
	// start returns when it has run): the unit is not taken as ended.
	starting bool
}

// unitManager is what the timers need of the services Manager.
type unitManager interface {
	Start(ctx context.Context, name string) error
	Status(name string) (services.Status, error)
	List() []services.Status
	OnChange(fn func(unit string))
}

// wallAlarm wakes the timer loop at a wall-clock moment and when the
// clock is set; *timers.WallAlarm is one.
type wallAlarm interface {
	Set(at time.Time) error
	Wait() (stepped bool, err error)
	Close() error
}

// zoneWatch tells a change of /etc/localtime (timers.ZoneWatch).
type zoneWatch interface {
	Wait() error
	Close() error
}

// timerHost runs PID 1's timers.
type timerHost struct {
	root    string
	svcs    *serviceHost
	cronD   bool
	env     *timers.Env
	perturb time.Duration
	start   time.Time // monotonic base
	log     interface {
		Info(string, ...any)
		Warn(string, ...any)
		Error(string, ...any)
	}
	// Seams for tests; nil means the real thing.
	clock    func() timers.Dual        // both clocks now
	newAlarm func() (wallAlarm, error) // the clock-set and wall-clock wake-up
	newZones func() (zoneWatch, error) // /etc/localtime's changes
	units    func() unitManager        // the services
	facts    *units.Facts              // what the timers' conditions test

	// zone is the wall clock's time zone once /etc/localtime changed
	// (nil: time.Local, read at start): Go does not read it again.
	zone     atomic.Pointer[time.Location]
	zoneData []byte // /etc/localtime as last read: the same written again is no change

	mu       sync.Mutex
	entries  map[string]*timerEntry
	watching bool // the Manager tells unitChanged of every change
	wake     chan struct{}
	cancel   context.CancelFunc

	changedMu sync.Mutex
	changed   map[string]bool // units changed since the last tick
}

func newTimerHost(cfg *config, root string, svcs *serviceHost, started time.Time) *timerHost {
	h := &timerHost{root: root, svcs: svcs, cronD: cronReadsCronD(cfg.cron), start: started,
		log: cfg.log, entries: map[string]*timerEntry{}, wake: make(chan struct{}, 1)}
	h.env = &timers.Env{Root: root, Startup: h.now(started)}
	if id, err := timers.ReadMachineID(root); err == nil {
		h.env.MachineID = id
	}
	if b, err := os.ReadFile("/proc/sys/kernel/random/boot_id"); err == nil {
		var id [16]byte
		hex := strings.ReplaceAll(strings.TrimSpace(string(b)), "-", "")
		for i := 0; i < 16 && 2*i+1 < len(hex); i++ {
			fmt.Sscanf(hex[2*i:2*i+2], "%02x", &id[i])
		}
		h.perturb = timers.Perturb(id)
	}
	return h
}

// now is the moment t on both clocks.
func (h *timerHost) now(t time.Time) timers.Dual {
	return timers.Dual{Real: t.Round(0), Mono: t.Sub(h.start) + time.Microsecond}
}

// current is now on both clocks, the wall clock in the time zone in use.
func (h *timerHost) current() timers.Dual {
	d := h.now(time.Now())
	if h.clock != nil {
		d = h.clock()
	}
	if z := h.zone.Load(); z != nil {
		d.Real = d.Real.In(z)
	}
	return d
}

func (h *timerHost) manager() unitManager {
	if h.units != nil {
		return h.units()
	}
	if h.svcs == nil {
		return nil
	}
	m, err := h.svcs.manager()
	if err != nil {
		return nil
	}
	return m
}

func (h *timerHost) unitFacts() units.Facts {
	if h.facts == nil {
		f := units.ReadFacts(h.root)
		h.facts = &f
	}
	return *h.facts
}

// unitOf is what a timer needs of its unit's status.
func (h *timerHost) unitOf(st services.Status) timers.Unit {
	var u timers.Unit
	if !st.LeftInactive.IsZero() {
		u.Activated = h.now(st.LeftInactive).Mono
	}
	if !st.EnteredInactive.IsZero() {
		u.Deactivated = h.now(st.EnteredInactive).Mono
	}
	return u
}

func isActive(st services.Status) bool {
	return st.ActiveState != services.Inactive && st.ActiveState != services.Failed && st.ActiveState != ""
}

func names(st services.Status, unit string) bool {
	return st.Name == unit || slices.Contains(st.Names, unit)
}

// lookUnit is what the Manager knows of the unit, without making it known
// (asking Status would list a never-started unit as inactive).
func (h *timerHost) lookUnit(m unitManager, unit string) timers.Unit {
	if m == nil {
		return timers.Unit{}
	}
	for _, st := range m.List() {
		if names(st, unit) {
			return h.unitOf(st)
		}
	}
	return timers.Unit{}
}

// watchUnits has the Manager tell every change of a service: a unit that
// ended, or that systemctl or the boot started, moves its timers.
func (h *timerHost) watchUnits(m unitManager) {
	if h.watching || m == nil {
		return
	}
	m.OnChange(h.unitChanged)
	h.watching = true
}

// unitChanged notes that unit changed; the loop looks at it. It does not
// block (the Manager calls it).
func (h *timerHost) unitChanged(unit string) {
	h.changedMu.Lock()
	if h.changed == nil {
		h.changed = map[string]bool{}
	}
	h.changed[unit] = true
	h.changedMu.Unlock()
	h.poke()
}

func (h *timerHost) takeChanged() []string {
	h.changedMu.Lock()
	defer h.changedMu.Unlock()
	out := make([]string, 0, len(h.changed))
	for u := range h.changed {
		out = append(out, u)
	}
	clear(h.changed)
	sort.Strings(out)
	return out
}

// startTimer loads and starts the named timer (boot, systemctl start).
func (h *timerHost) startTimer(name string) error {
	l, err := units.NewLoader(h.root)
	if err != nil {
		return err
	}
	sec, u, problems, err := loadTimer(l, name, h.root)
	if err != nil {
		return err
	}
	for _, p := range problems {
		h.log.Warn("timer: setting ignored", "timer", name, "problem", p.Error())
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	e, ok := h.entries[u.Name]
	if !ok {
		t, err := timers.New(sec.Config, h.env)
		if err != nil {
			return err
		}
		e = &timerEntry{t: t, unit: sec.Unit}
		h.entries[u.Name] = e
	}
	e.skipped = ""
	if units.SystemdOwn(u.Name) {
		e.skipped = "one of systemd's own units"
		return nil
	}
	if h.cronD && !hasSystemdMarker(h.root) {
		if twin := cronTwin(h.root, u.Fragment); twin != "" {
			e.skipped = "cron runs " + twin
			h.log.Info("timer not armed: its cron.d twin does the work (it skips itself only where systemd runs)", "timer", u.Name, "cron", twin)
			return nil
		}
	}
	if st := e.t.State(); st == timers.Dead || st == timers.Failed {
		// The timer's own [Unit] conditions, tested when it starts, as
		// systemd does for every unit: a failed condition skips it, a
		// failed assertion fails the start.
		res := u.CheckConditions(h.unitFacts())
		if c := res.Failed; c != nil {
			e.skipped = "condition failed: " + c.String()
			h.log.Info("timer not armed: its condition failed", "timer", u.Name, "condition", c.String())
			return nil
		}
		if c := res.AssertFailed; c != nil {
			e.skipped = "assertion failed: " + c.String()
			return fmt.Errorf("timer %s: assertion failed: %s (%s)", u.Name, c, c.Where)
		}
	}
	m := h.manager()
	h.watchUnits(m)
	e.unitInfo = h.lookUnit(m, e.unit)
	if err := e.t.Start(h.current(), e.unitInfo); err != nil {
		h.log.Warn("timer: stamp", "timer", u.Name, "err", err)
	}
	h.poke()
	return nil
}

func (h *timerHost) stopTimer(name string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	e, ok := h.entries[name]
	if !ok {
		return units.ErrNotFound
	}
	e.t.Stop()
	h.poke()
	return nil
}

func (h *timerHost) poke() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// timerRow is one line of list-timers and of status.
type timerRow struct {
	Name, Unit string
	Next, Last time.Time
	State      string
	Skipped    string
}

func (h *timerHost) rows() []timerRow {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	d := h.current()
	var out []timerRow
	for name, e := range h.entries {
		r := timerRow{Name: name, Unit: e.unit, State: string(e.t.State()), Skipped: e.skipped}
		r.Next, _ = e.t.NextElapse(d)
		r.Last = e.t.LastTrigger().Real
		if r.Last.IsZero() && e.t.LastTrigger().Mono > 0 {
			r.Last = d.Real.Add(e.t.LastTrigger().Mono - d.Mono)
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Next, out[j].Next
		if a.IsZero() != b.IsZero() {
			return !a.IsZero()
		}
		if !a.Equal(b) {
			return a.Before(b)
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// listTimers prints systemctl list-timers.
func listTimers(w io.Writer, rows []timerRow, now time.Time, all bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	fmt.Fprintln(tw, "NEXT\tLEFT\tLAST\tPASSED\tUNIT\tACTIVATES")
	n := 0
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.Format("Mon 2006-01-02 15:04:05 MST")
	}
	rel := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return timers.Relative(t, now)
	}
	for _, r := range rows {
		if !all && (r.State == string(timers.Dead) || r.Skipped != "") {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", stamp(r.Next), rel(r.Next), stamp(r.Last), rel(r.Last), r.Name, r.Unit)
		n++
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%d timers listed.\n", n)
	if !all {
		fmt.Fprintln(w, "Pass --all to see loaded but inactive timers, too.")
		return
	}
	for _, r := range rows {
		if r.Skipped != "" {
			fmt.Fprintf(w, "%s skipped: %s\n", r.Name, r.Skipped)
		}
	}
}

// timerStatus prints systemctl status X.timer; the code is systemctl's.
func timerStatus(w io.Writer, r timerRow, now time.Time) int {
	active := "active (" + r.State + ")"
	code := sysctlOK
	if r.State == string(timers.Dead) {
		active, code = "inactive (dead)", sysctlNotActive
	}
	fmt.Fprintf(w, "● %s\n     Active: %s\n", r.Name, active)
	if r.Skipped != "" {
		fmt.Fprintf(w, "    Skipped: %s\n", r.Skipped)
	}
	if !r.Next.IsZero() {
		fmt.Fprintf(w, "    Trigger: %s; %s\n", r.Next.Format("Mon 2006-01-02 15:04:05 MST"), timers.Relative(r.Next, now))
	}
	if !r.Last.IsZero() {
		fmt.Fprintf(w, "  Triggered: %s; %s\n", r.Last.Format("Mon 2006-01-02 15:04:05 MST"), timers.Relative(r.Last, now))
	}
	fmt.Fprintf(w, "   Triggers: ● %s\n", r.Unit)
	return code
}

// timerAnswer answers the systemctl requests about timers: list-timers,
// and start, stop, restart, status, is-active of X.timer units.
func (h *serviceHost) timerAnswer(req ctlRequest) (ctlAnswer, bool) {
	t := h.timerHost()
	if req.Cmd == "list-timers" {
		var out strings.Builder
		listTimers(&out, t.rows(), time.Now(), req.All)
		return ctlAnswer{Stdout: out.String()}, true
	}
	if len(req.Units) == 0 {
		return ctlAnswer{}, false
	}
	for _, n := range req.Units {
		if !strings.HasSuffix(n, ".timer") {
			return ctlAnswer{}, false
		}
	}
	if t == nil {
		return ctlAnswer{Stderr: "boxinit runs no timers here\n", Code: sysctlFailed}, true
	}
	var out, errOut strings.Builder
	code := sysctlOK
	rows := map[string]timerRow{}
	for _, r := range t.rows() {
		rows[r.Name] = r
	}
	for _, n := range req.Units {
		var err error
		switch req.Cmd {
		case "start":
			err = t.startTimer(n)
		case "stop":
			err = t.stopTimer(n)
		case "restart":
			_ = t.stopTimer(n)
			err = t.startTimer(n)
		case "status":
			r, ok := rows[n]
			if !ok {
				fmt.Fprintf(&errOut, "Unit %s could not be found.\n", n)
				code = max(code, sysctlNoSuchUnit)
				continue
			}
			code = max(code, timerStatus(&out, r, time.Now()))
			continue
		case "is-active":
			r, ok := rows[n]
			active := ok && r.State != string(timers.Dead) && r.State != string(timers.Failed)
			if !req.Quiet {
				fmt.Fprintln(&out, map[bool]string{true: "active", false: "inactive"}[active])
			}
			if !active {
				code = sysctlNotActive
			}
			continue
		default:
			return ctlAnswer{}, false
		}
		if err != nil {
			if errors.Is(err, units.ErrNotFound) {
				fmt.Fprintf(&errOut, "Failed to %s %s: Unit %s not found.\n", req.Cmd, n, n)
				code = max(code, sysctlNotFound)
				continue
			}
			fmt.Fprintf(&errOut, "Failed to %s %s: %v\n", req.Cmd, n, err)
			code = max(code, sysctlFailed)
		}
	}
	return ctlAnswer{Stdout: out.String(), Stderr: errOut.String(), Code: code}, true
}

func (h *serviceHost) timerHost() *timerHost {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.timers
}

// startTimers arms the wanted timers after the services have started; the
// loop runs until stopTimers.
func startTimers(cfg *config, root string, svcs *serviceHost, started time.Time) {
	t := newTimerHost(cfg, root, svcs, started)
	ctx, cancel := context.WithCancel(context.Background())
	t.cancel = cancel
	svcs.mu.Lock()
	svcs.timers = t
	svcs.mu.Unlock()
	go t.run(ctx)
}

// stopTimers ends the timer loop (at shutdown).
func stopTimers(svcs *serviceHost) {
	if t := svcs.timerHost(); t != nil {
		t.cancel()
	}
}
