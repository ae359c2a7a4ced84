package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

	"github.com/boxinit/boxinit/internal/services"
	"github.com/boxinit/boxinit/internal/status"
	"github.com/boxinit/boxinit/internal/units"
)

// systemctl is the same binary called as `systemctl` (a link) or as
// `boxinit systemctl`: the verbs on units' files (enable, disable, mask,
// unmask, is-enabled, preset) work on the files, as `systemctl --root`
// does, with or without a running boxinit; the others are requests to
// PID 1 over the control socket, which answers with systemctl's output and
// exit code.

// Exit codes of systemctl (LSB's for status).
const (
	sysctlOK         = 0
	sysctlFailed     = 1
	sysctlNotActive  = 3
	sysctlNoSuchUnit = 4 // status of a unit that does not exist
	sysctlNotFound   = 5 // start of a unit that does not exist
)

// ctlRequest is a systemctl request to PID 1.
type ctlRequest struct {
	Verb    string   `json:"verb"` // "systemctl"
	Cmd     string   `json:"cmd"`
	Units   []string `json:"units,omitempty"`
	Quiet   bool     `json:"quiet,omitempty"`
	NoBlock bool     `json:"no_block,omitempty"`
	Signal  string   `json:"signal,omitempty"`
	Whom    string   `json:"whom,omitempty"`
	Props   []string `json:"props,omitempty"`
	Value   bool     `json:"value,omitempty"`
	All     bool     `json:"all,omitempty"`
	// Patterns are list-units' glob patterns (as written, no .service added).
	Patterns []string `json:"patterns,omitempty"`
	NoLegend bool     `json:"no_legend,omitempty"`
}

// ctlAnswer is PID 1's answer: what systemctl prints and its exit code.
type ctlAnswer struct {
	Stdout string `json:"stdout,omitempty"`
	Stderr string `json:"stderr,omitempty"`
	Code   int    `json:"code"`
	Error  string `json:"error,omitempty"` // the request was not understood
}

// runtimeVerbs need the running boxinit.
var runtimeVerbs = map[string]bool{
	"start": true, "stop": true, "restart": true, "try-restart": true, "reload": true,
	"reload-or-restart": true, "kill": true, "status": true, "is-active": true, "is-failed": true,
	"show": true, "list-units": true, "daemon-reload": true, "is-system-running": true,
	"reset-failed": true, "list-timers": true,
}

// fileVerbs work on the unit files.
var fileVerbs = map[string]bool{
	"enable": true, "disable": true, "reenable": true, "preset": true, "mask": true, "unmask": true,
	"is-enabled": true, "list-unit-files": true,
}

// calledAsSystemctl reports whether argv[0] names systemctl (a link to
// boxinit).
func calledAsSystemctl(argv0 string) bool { return filepath.Base(argv0) == "systemctl" }

// runSystemctl is the systemctl client.
func runSystemctl(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("systemctl", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: systemctl [flags] VERB [UNIT...]   (boxinit's systemctl)\n\nVerbs: %s\n\nFlags:\n",
			strings.Join(append(sortedKeys(runtimeVerbs), sortedKeys(fileVerbs)...), " "))
		fs.PrintDefaults()
	}
	now := fs.Bool("now", false, "enable/disable: also start/stop the units")
	quiet := fs.BoolP("quiet", "q", false, "print less (is-active, is-enabled: nothing)")
	noBlock := fs.Bool("no-block", false, "do not wait for the start/stop to finish")
	noReload := fs.Bool("no-reload", false, "enable/disable: do not reload boxinit's units")
	root := fs.String("root", "", "work on the unit files under this directory (enable, disable, mask…)")
	signal := fs.StringP("signal", "s", "SIGTERM", "kill: the signal to send")
	whom := fs.String("kill-whom", "all", "kill: main or all")
	props := fs.StringSliceP("property", "p", nil, "show: the properties to show")
	value := fs.Bool("value", false, "show: print the values only")
	all := fs.BoolP("all", "a", false, "list-units: also the inactive units")
	socket := fs.String("socket", "/run/boxinit.sock", "control socket of the running boxinit")
	version := fs.Bool("version", false, "print the version")
	// Accepted and ignored, as scripts pass them.
	fs.Bool("system", false, "the system manager (the only one)")
	fs.Bool("no-pager", false, "no pager (there is none)")
	noLegend := fs.Bool("no-legend", false, "list-units: no header or footer")
	fs.BoolP("full", "l", false, "do not ellipsize")
	fs.Bool("no-ask-password", false, "ignored")
	fs.Bool("force", false, "ignored")
	fs.String("preset-mode", "", "preset: ignored (enable-only, full: both enable)")
	typ := fs.StringP("type", "t", "", "list-unit-files: only units of this type (service, timer…)")
	fs.String("state", "", "ignored")
	fs.Bool("global", false, "ignored")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		return exitUsage
	}
	if *version {
		fmt.Fprintf(stdout, "boxinit %s (systemctl)\n", versionString())
		return 0
	}
	if v, ok := os.LookupEnv("BOXINIT_SOCKET"); ok && v != "" && !fs.Changed("socket") {
		*socket = v
	}
	rest := fs.Args()
	if len(rest) == 0 {
		rest = []string{"list-units"}
	}
	verb, names := rest[0], slices.Clone(rest[1:])
	for i, n := range names {
		names[i] = unitName(n)
	}
	req := ctlRequest{Verb: "systemctl", Cmd: verb, Units: names, Quiet: *quiet, NoBlock: *noBlock,
		Signal: *signal, Whom: *whom, Props: *props, Value: *value, All: *all, NoLegend: *noLegend}
	if verb == "list-units" {
		req.Units, req.Patterns = nil, rest[1:]
	}

	if verb == "list-unit-files" {
		return listUnitFiles(rest[1:], *root, *typ, stdout, stderr)
	}
	if fileVerbs[verb] {
		code := fileVerb(verb, names, *root, *quiet, stdout, stderr)
		if code != 0 || verb == "is-enabled" || *root != "" && *root != "/" {
			return code
		}
		if !*noReload && verb != "is-enabled" {
			_, _ = ask(*socket, ctlRequest{Verb: "systemctl", Cmd: "daemon-reload"})
		}
		if *now && (verb == "enable" || verb == "disable" || verb == "reenable") {
			req.Cmd = map[string]string{"enable": "start", "reenable": "restart", "disable": "stop"}[verb]
			return runtimeVerb(*socket, req, stdout, stderr)
		}
		return code
	}
	if !runtimeVerbs[verb] {
		fmt.Fprintf(stderr, "Unknown command verb '%s'.\n", verb)
		return exitUsage
	}
	if needsUnits(verb) && len(names) == 0 {
		fmt.Fprintf(stderr, "Too few arguments.\n")
		return exitUsage
	}
	return runtimeVerb(*socket, req, stdout, stderr)
}

func needsUnits(verb string) bool {
	switch verb {
	case "list-units", "list-timers", "daemon-reload", "show", "status", "is-system-running", "reset-failed":
		return false
	}
	return true
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func versionString() string { return version }

// unitName adds .service to a name without a unit type, as systemctl does.
func unitName(n string) string {
	if i := strings.LastIndexByte(n, '.'); i > 0 {
		switch n[i+1:] {
		case "service", "socket", "target", "timer", "mount", "automount", "path", "slice", "scope", "swap", "device":
			return n
		}
	}
	return n + ".service"
}

// ask sends req to PID 1; a nil answer with an error means no boxinit
// answers.
func ask(socket string, req ctlRequest) (*ctlAnswer, error) {
	if socket == "" {
		return nil, errors.New("no control socket: BOXINIT_SOCKET is empty")
	}
	var a ctlAnswer
	if err := status.Call(socket, req, &a, 11*time.Minute); err != nil {
		return nil, err
	}
	if a.Error != "" {
		return nil, errors.New(a.Error)
	}
	return &a, nil
}

// runtimeVerb asks PID 1 and prints its answer. With no boxinit running
// (an image build, where Debian's maintainer scripts may call systemctl),
// the verbs that change something do nothing and succeed, as systemctl
// does in a chroot; the queries answer "inactive".
func runtimeVerb(socket string, req ctlRequest, stdout, stderr io.Writer) int {
	a, err := ask(socket, req)
	if err != nil {
		var se syscall.Errno
		if errors.As(err, &se) && (se == syscall.EACCES || se == syscall.EPERM) || strings.Contains(err.Error(), "permission denied") {
			fmt.Fprintf(stderr, "Failed to %s: access denied: systemctl talks to boxinit over its control socket, root only (%v)\n", req.Cmd, err)
			return sysctlFailed
		}
		if strings.Contains(err.Error(), "unknown request") {
			fmt.Fprintf(stderr, "Failed to %s: the running boxinit does not run services (it is older, or --services=false)\n", req.Cmd)
			return sysctlFailed
		}
		if !req.Quiet {
			fmt.Fprintf(stderr, "System has not been booted with boxinit as init (PID 1): ignoring command '%s' (%v)\n", req.Cmd, err)
		}
		switch req.Cmd {
		case "is-active", "is-failed":
			for range req.Units {
				if !req.Quiet {
					fmt.Fprintln(stdout, "inactive")
				}
			}
			if req.Cmd == "is-active" {
				return sysctlNotActive
			}
			return sysctlFailed
		case "status":
			return sysctlNotActive
		case "is-system-running":
			if !req.Quiet {
				fmt.Fprintln(stdout, "offline")
			}
			return sysctlFailed
		case "show", "list-units":
			return sysctlFailed
		}
		return sysctlOK
	}
	io.WriteString(stdout, a.Stdout)
	io.WriteString(stderr, a.Stderr)
	return a.Code
}

// fileVerb runs a verb on the unit files under root.
func fileVerb(verb string, names []string, root string, quiet bool, stdout, stderr io.Writer) int {
	if root == "" {
		root = "/"
	}
	if len(names) == 0 {
		fmt.Fprintln(stderr, "Too few arguments.")
		return exitUsage
	}
	l, err := units.NewLoader(root)
	if err != nil {
		fmt.Fprintf(stderr, "Failed to read the units under %s: %v\n", root, err)
		return sysctlFailed
	}
	var changes []units.Change
	switch verb {
	case "is-enabled":
		code := sysctlFailed
		for _, n := range names {
			st, err := l.EnabledState(n)
			if err != nil {
				fmt.Fprintf(stderr, "Failed to get unit file state for %s: %v\n", n, err)
				continue
			}
			if !quiet {
				fmt.Fprintln(stdout, st)
			}
			switch st {
			case "enabled", "static", "alias", "generated", "indirect":
				code = sysctlOK
			}
		}
		return code
	case "enable", "preset":
		changes, err = l.Enable(names...)
	case "reenable":
		if changes, err = l.Disable(names...); err == nil {
			var more []units.Change
			more, err = l.Enable(names...)
			changes = append(changes, more...)
		}
	case "disable":
		changes, err = l.Disable(names...)
	case "mask":
		changes, err = l.Mask(names...)
	case "unmask":
		changes, err = l.Unmask(names...)
	}
	if !quiet {
		for _, c := range changes {
			fmt.Fprintln(stderr, c)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "Failed to %s unit: %v\n", verb, err)
		return sysctlFailed
	}
	return sysctlOK
}

// serviceHost is PID 1's side of the services: the Manager (made at boot
// when units are enabled, else at the first systemctl request) and the
// answers to systemctl.
type serviceHost struct {
	newManager func() (*services.Manager, error)
	root       string

	mu      sync.Mutex
	m       *services.Manager
	booting bool // until boot has started the units

	timers *timerHost // nil until the timers run (timers.go)
	// planTimers are the timer units of the boot plan: those timers.target
	// wants, and those another started unit wants (Debian's sysstat.service
	// wants sysstat-collect.timer through sysstat.service.wants/).
	planTimers []string
}

func (h *serviceHost) manager() (*services.Manager, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.booting {
		return nil, errors.New("boxinit is still booting")
	}
	if h.m == nil {
		m, err := h.newManager()
		if err != nil {
			return nil, err
		}
		h.m = m
	}
	return h.m, nil
}

// control answers the control socket's systemctl requests.
func (h *serviceHost) control(verb string, raw []byte) (any, bool) {
	if verb == "journal" {
		return h.journal(raw), true
	}
	if verb != "systemctl" {
		return nil, false
	}
	var req ctlRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return ctlAnswer{Error: "bad systemctl request: " + err.Error()}, true
	}
	return h.answer(req), true
}

func (h *serviceHost) answer(req ctlRequest) ctlAnswer {
	if req.Cmd == "is-system-running" {
		return h.systemState(req.Quiet)
	}
	m, err := h.manager()
	if err != nil {
		return ctlAnswer{Stderr: fmt.Sprintf("Failed to load the units: %v\n", err), Code: sysctlFailed}
	}
	if a, ok := h.timerAnswer(req); ok {
		return a
	}
	var out, errOut strings.Builder
	code := sysctlOK
	ctx := context.Background()
	action := func(name string, f func(context.Context, string) error) {
		if req.NoBlock {
			go func() { _ = f(context.Background(), name) }()
			return
		}
		if err := f(ctx, name); err != nil {
			if errors.Is(err, units.ErrNotFound) {
				fmt.Fprintf(&errOut, "Failed to %s %s: Unit %s not found.\n", req.Cmd, name, name)
				code = max(code, sysctlNotFound)
				return
			}
			fmt.Fprintf(&errOut, "Job for %s failed: %v\nSee \"systemctl status %s\" for details.\n", name, err, name)
			code = max(code, sysctlFailed)
		}
	}
	switch req.Cmd {
	case "start", "stop", "restart", "try-restart", "reload", "reload-or-restart":
		f := map[string]func(context.Context, string) error{
			"start": m.Start, "stop": m.Stop, "restart": m.Restart, "try-restart": m.TryRestart,
			"reload": m.Reload, "reload-or-restart": m.ReloadOrRestart,
		}[req.Cmd]
		for _, n := range req.Units {
			action(n, f)
		}
	case "kill":
		sig, err := parseSignal(req.Signal)
		if err != nil {
			return ctlAnswer{Stderr: err.Error() + "\n", Code: sysctlFailed}
		}
		for _, n := range req.Units {
			if err := m.Kill(n, sig, req.Whom); err != nil {
				fmt.Fprintf(&errOut, "Failed to kill unit %s: %v\n", n, err)
				code = sysctlFailed
			}
		}
	case "status":
		names := req.Units
		if len(names) == 0 {
			for _, st := range m.List() {
				names = append(names, st.Name)
			}
		}
		code = -1
		for i, n := range names {
			text, c, err := m.StatusText(n, time.Now())
			if err != nil {
				fmt.Fprintf(&errOut, "Unit %s could not be found.\n", n)
				c = sysctlNoSuchUnit
			}
			if i > 0 && text != "" {
				out.WriteString("\n")
			}
			out.WriteString(text)
			if code < 0 || c > code {
				code = c
			}
		}
		code = max(code, 0)
	case "is-active", "is-failed":
		code = sysctlNotActive
		if req.Cmd == "is-failed" {
			code = sysctlFailed
		}
		for _, n := range req.Units {
			state := h.activeState(m, n)
			if !req.Quiet {
				fmt.Fprintln(&out, state)
			}
			if req.Cmd == "is-active" && state == services.Active || req.Cmd == "is-failed" && state == services.Failed {
				code = sysctlOK
			}
		}
		if req.Cmd == "is-active" {
			for _, n := range req.Units { // all must be active
				if h.activeState(m, n) != services.Active {
					code = sysctlNotActive
				}
			}
		}
	case "reset-failed":
		names := req.Units
		if len(names) == 0 {
			for _, st := range m.List() {
				names = append(names, st.Name)
			}
		}
		for _, n := range names {
			if err := m.ResetFailed(n); err != nil {
				fmt.Fprintf(&errOut, "Failed to reset failed state of unit %s: %v\n", n, err)
				code = sysctlFailed
			}
		}
	case "show":
		for i, n := range req.Units {
			if i > 0 {
				out.WriteString("\n")
			}
			showUnit(&out, m, n, h.root, req.Props, req.Value)
		}
	case "list-units":
		tw := tabwriter.NewWriter(&out, 0, 0, 1, ' ', 0)
		if !req.NoLegend {
			fmt.Fprintln(tw, "  UNIT\tLOAD\tACTIVE\tSUB\tDESCRIPTION")
		}
		n := 0
		for _, st := range m.List() {
			if !req.All && st.ActiveState == services.Inactive {
				continue
			}
			if len(req.Patterns) > 0 && !slices.ContainsFunc(req.Patterns, func(p string) bool { ok, _ := filepath.Match(p, st.Name); return ok }) {
				continue
			}
			mark := " "
			if st.ActiveState == services.Failed {
				mark = "●"
			}
			fmt.Fprintf(tw, "%s %s\tloaded\t%s\t%s\t%s\n", mark, st.Name, st.ActiveState, st.SubState, st.Description)
			n++
		}
		tw.Flush()
		if !req.NoLegend {
			fmt.Fprintf(&out, "\n%d loaded units listed.\n", n)
		}
	case "daemon-reload":
		if err := m.RunGenerators(ctx); err != nil {
			fmt.Fprintf(&errOut, "generators: %v\n", err)
		}
		l, err := units.NewLoader(h.root)
		if err != nil {
			return ctlAnswer{Stderr: fmt.Sprintf("Failed to reload: %v\n", err), Code: sysctlFailed}
		}
		m.DaemonReload(l)
	default:
		return ctlAnswer{Stderr: fmt.Sprintf("Unknown command verb '%s'.\n", req.Cmd), Code: exitUsage}
	}
	return ctlAnswer{Stdout: out.String(), Stderr: errOut.String(), Code: code}
}

// activeState is the unit's ActiveState. A target is a point of the boot
// that boxinit reaches once its units have started: active from then on
// when it exists (systemd's own targets are built in), as invoke-rc.d's
// `systemctl is-active sysinit.target` expects.
func (h *serviceHost) activeState(m *services.Manager, name string) string {
	if st, err := m.Status(name); err == nil {
		return st.ActiveState
	}
	if strings.HasSuffix(name, ".target") {
		if l, err := units.NewLoader(h.root); err == nil {
			if u, err := l.Load(name); err == nil && !u.Masked {
				return services.Active
			}
		}
	}
	return services.Inactive
}

// systemState is `systemctl is-system-running`: starting until boot has
// started the units, then degraded when one has failed, else running
// (exit 0 only for running).
func (h *serviceHost) systemState(quiet bool) ctlAnswer {
	h.mu.Lock()
	booting, m := h.booting, h.m
	h.mu.Unlock()
	state := "running"
	switch {
	case booting:
		state = "starting"
	case m != nil:
		for _, st := range m.List() {
			if st.ActiveState == services.Failed {
				state = "degraded"
			}
		}
	}
	a := ctlAnswer{Code: sysctlOK}
	if state != "running" {
		a.Code = sysctlFailed
	}
	if !quiet {
		a.Stdout = state + "\n"
	}
	return a
}

// listUnitFiles is `systemctl list-unit-files [PATTERN...]`: every unit
// file on the search path under root with its state (is-enabled's word).
func listUnitFiles(patterns []string, root, typ string, stdout, stderr io.Writer) int {
	if root == "" {
		root = "/"
	}
	l, err := units.NewLoader(root)
	if err != nil {
		fmt.Fprintf(stderr, "Failed to read the units under %s: %v\n", root, err)
		return sysctlFailed
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 1, ' ', 0)
	fmt.Fprintln(tw, "UNIT FILE\tSTATE")
	n := 0
	for _, name := range l.Names() {
		if typ != "" && !strings.HasSuffix(name, "."+strings.TrimPrefix(typ, ".")) {
			continue
		}
		if len(patterns) > 0 && !slices.ContainsFunc(patterns, func(p string) bool { ok, _ := filepath.Match(p, name); return ok }) {
			continue
		}
		state, err := l.EnabledState(name)
		if err != nil {
			state = "bad"
		}
		fmt.Fprintf(tw, "%s\t%s\n", name, state)
		n++
	}
	tw.Flush()
	fmt.Fprintf(stdout, "\n%d unit files listed.\n", n)
	return sysctlOK
}

// execMain is systemd's ExecMainCode and ExecMainStatus of how the main
// process last ended: CLD_EXITED (1) and the exit status, or CLD_KILLED
// (2) and the signal; 0 and 0 when it has not ended or its status is not
// known.
func execMain(e *services.Exit) (code, status int) {
	switch {
	case e == nil || !e.Known:
		return 0, 0
	case e.Signal != 0:
		return 2, e.Signal
	}
	return 1, e.Code
}

// showUnit prints the properties systemctl show gives for the common
// questions of scripts.
func showUnit(w io.Writer, m *services.Manager, name, root string, props []string, valueOnly bool) {
	st, err := m.Status(name)
	load := "loaded"
	if err != nil {
		load = "not-found"
		if strings.Contains(err.Error(), "masked") {
			load = "masked"
		}
	}
	exitCode, exitStatus := execMain(st.LastExit)
	state := st.ActiveState
	if state == "" {
		state = services.Inactive
	}
	sub := st.SubState
	if sub == "" {
		sub = "dead"
	}
	fileState, canReload, sourcePath := "", "no", ""
	if l, err := units.NewLoader(root); err == nil {
		fileState, _ = l.EnabledState(name)
		if u, err := l.Load(name); err == nil {
			sourcePath = u.SourcePath
			if u.Service != nil && len(u.Service.ExecReload) > 0 {
				canReload = "yes"
			}
		}
	}
	all := [][2]string{
		{"Id", name}, {"Names", strings.Join(st.Names, " ")}, {"Description", st.Description},
		{"LoadState", load}, {"ActiveState", state}, {"SubState", sub}, {"Result", st.Result},
		{"MainPID", fmt.Sprint(st.MainPID)}, {"ExecMainCode", fmt.Sprint(exitCode)}, {"ExecMainStatus", fmt.Sprint(exitStatus)},
		{"NRestarts", fmt.Sprint(st.Restarts)}, {"UnitFileState", fileState},
		{"CanReload", canReload}, {"SourcePath", sourcePath},
	}
	for _, kv := range all {
		if len(props) > 0 && !slices.Contains(props, kv[0]) {
			continue
		}
		if valueOnly {
			fmt.Fprintln(w, kv[1])
		} else {
			fmt.Fprintf(w, "%s=%s\n", kv[0], kv[1])
		}
	}
}

// parseSignal reads a signal name (SIGHUP, HUP) or number.
func parseSignal(s string) (unix.Signal, error) {
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	var n int
	if _, err := fmt.Sscan(s, &n); err == nil && n > 0 && n < 65 {
		return unix.Signal(n), nil
	}
	return 0, fmt.Errorf("unknown signal %q", s)
}
