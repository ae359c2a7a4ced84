package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/boxinit/boxinit/internal/boot"
	"github.com/boxinit/boxinit/internal/reaper"
	"github.com/boxinit/boxinit/internal/services"
	"github.com/boxinit/boxinit/internal/units"
)

// Services: after boot, PID 1 runs the image's enabled systemd units
// (internal/services), every process through the reaper; at shutdown they
// stop in the reverse order of their starts, each its own way, before the
// blanket SIGTERM reaches what is left.

// unitDirs are the directories whose <target>.wants/ say a unit is enabled.
var unitDirs = []string{"etc/systemd/system", "run/systemd/system", "lib/systemd/system", "usr/lib/systemd/system"}

// hasEnabledUnits reports whether any unit is enabled for the targets a
// boot reaches (multi-user.target, default.target): without one, PID 1
// loads no unit at all and stays as small as before.
func hasEnabledUnits(root string) bool {
	for _, d := range unitDirs {
		for _, t := range []string{"multi-user.target.wants", "default.target.wants", "multi-user.target.requires"} {
			ents, err := os.ReadDir(filepath.Join(root, d, t))
			if err == nil && len(ents) > 0 {
				return true
			}
		}
	}
	return hasSysVOnly(root)
}

// hasSysVOnly reports whether an rc2–5 S link names an init script that has
// no native unit: the generator (units.GenerateSysV) makes it a unit
// wanted at boot.
func hasSysVOnly(root string) bool {
	links, _ := filepath.Glob(filepath.Join(root, "etc/rc[2345].d/S[0-9][0-9]*"))
	for _, l := range links {
		name := strings.TrimSuffix(filepath.Base(l)[3:], ".sh") + ".service"
		native := false
		for _, d := range unitDirs {
			if _, err := os.Lstat(filepath.Join(root, d, name)); err == nil {
				native = true
				break
			}
		}
		if !native {
			return true
		}
	}
	return false
}

// serviceEnv is the environment every service starts from: systemd's
// clean one, not boxinit's. A service on a VM gets PATH, the system locale
// and little else from its manager; the container's environment and rc.env
// carry settings and secrets meant for boot and the main command, and a
// daemon started at boot (or later by `systemctl start`) must not depend
// on, or leak, them. TZ is kept when the container sets it: the clock of
// the services is the container's. internal/services adds PATH, the
// user's variables and the unit's own Environment=.
func serviceEnv(root string, environ []string) []string {
	env := localeVars(root)
	if !hasVar(env, "LANG") {
		env = append(env, "LANG=C.UTF-8")
	}
	for _, kv := range environ {
		if strings.HasPrefix(kv, "TZ=") && kv != "TZ=" {
			env = append(env, kv)
		}
	}
	return env
}

// localeVars reads LANG and LC_* from /etc/locale.conf or
// /etc/default/locale (Debian's, a link to the same settings), as systemd
// gives them to services.
func localeVars(root string) []string {
	for _, p := range []string{"etc/locale.conf", "etc/default/locale"} {
		f, err := os.Open(filepath.Join(root, p))
		if err != nil {
			continue
		}
		var out []string
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			k, v, ok := strings.Cut(line, "=")
			if !ok || (k != "LANG" && k != "LANGUAGE" && !strings.HasPrefix(k, "LC_")) {
				continue
			}
			v = strings.Trim(v, `"'`)
			if v != "" && !strings.ContainsAny(v, " \t$`\\") {
				out = append(out, k+"="+v)
			}
		}
		f.Close()
		return out
	}
	return nil
}

func hasVar(env []string, name string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, name+"=") {
			return true
		}
	}
	return false
}

// mainProgram is the main command's program as resolved in the
// container ("" when there is none or it is not found): a unit running
// the same program is skipped at boot.
func mainProgram(command, env []string) string {
	if len(command) == 0 {
		return ""
	}
	name := command[0]
	if strings.Contains(name, "/") {
		p, _ := filepath.Abs(name)
		return p
	}
	path := reaper.DefaultPath
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, dir := range filepath.SplitList(path) {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 && filepath.IsAbs(p) {
			return p
		}
	}
	return ""
}

// runsServices decides whether PID 1 runs the image's units: never with
// --services=false, never where systemd may run (its /run/systemd/system
// exists under the root: those units are systemd's; as PID 1 of a
// container, or of a --root tree, that directory is boxinit's own marker
// from an earlier run, see marker.go), and as a subreaper
// (boxinit is not the container's init: it may run on a host's root) only
// when --services or BOXINIT_SERVICES says true.
func runsServices(cfg *config, root string, isInit bool) bool {
	if !cfg.services {
		return false
	}
	if hasSystemdMarker(root) && !(isInit && (root != "/" || inContainer())) {
		cfg.log.Warn("services: systemd runs here (/run/systemd/system exists): boxinit runs no unit")
		return false
	}
	if !isInit && !cfg.servicesSet {
		cfg.log.Info("services: not PID 1, so no unit runs unless --services=true")
		return false
	}
	if root == "/" && !cfg.servicesSet && !inContainer() {
		cfg.log.Warn("services: PID 1 but no sign of a container (no container=, /.dockerenv, /run/.containerenv or KUBERNETES_SERVICE_HOST): this may be a host's root, where tmpfiles.d would empty /tmp, so no unit runs unless --services=true")
		return false
	}
	return true
}

// inContainer reports whether boxinit runs in a container as runtimes mark
// one: the container= variable (podman, LXC, systemd-nspawn, CRI-O),
// /.dockerenv (Docker), /run/.containerenv (podman, CRI-O), or a pod's
// KUBERNETES_SERVICE_HOST. `unshare --pid` on a host has none of them.
var inContainer = func() bool {
	if os.Getenv("container") != "" || os.Getenv("KUBERNETES_SERVICE_HOST") != "" {
		return true
	}
	for _, marker := range []string{"/.dockerenv", "/run/.containerenv"} {
		if _, err := os.Stat(marker); err == nil {
			return true
		}
	}
	return false
}

// newServiceHost returns PID 1's services, booting until startServices.
func newServiceHost(cfg *config, bootCfg *boot.Config, r *reaper.Reaper) *serviceHost {
	root := bootCfg.Root
	return &serviceHost{root: root, booting: true, newManager: func() (*services.Manager, error) {
		l, err := units.NewLoader(root)
		if err != nil {
			return nil, err
		}
		return services.New(services.Options{
			Root:   root,
			Env:    serviceEnv(root, os.Environ()),
			Log:    cfg.log,
			Run:    r,
			Facts:  units.ReadFacts(root),
			Redact: bootCfg.Redact.Redact,
		}, l), nil
	}}
}

// startServices loads the units under the root and starts the boot plan;
// failed units are logged and shown in status, the boot still succeeds (as
// under systemd). Without an enabled unit it loads nothing: the Manager is
// made at the first systemctl request.
func (h *serviceHost) startServices(ctx context.Context, cfg *config, mainPath string) error {
	h.mu.Lock()
	h.booting = false
	h.mu.Unlock()
	makeSystemdMarker(h.root, cfg.log)
	if self, err := os.Executable(); err == nil {
		linkTools(h.root, self, cfg.log)
	}
	if !hasEnabledUnits(h.root) {
		return h.checkRequired(cfg.requiredUnits)
	}
	start := time.Now()
	m, err := h.manager()
	if err != nil {
		cfg.log.Error("services: cannot load units", "err", err)
		return h.checkRequired(cfg.requiredUnits)
	}
	res, err := m.BootSystem(ctx, units.BootOptions{Skip: units.BootSkip(h.root, mainPath, len(cfg.cron) > 0)})
	if err != nil {
		cfg.log.Error("services: no boot plan", "err", err)
		return h.checkRequired(cfg.requiredUnits)
	}
	for _, s := range res.Plan.Skipped {
		cfg.log.Debug("services: unit skipped", "unit", s.Name, "reason", s.Reason)
	}
	var active, failed int
	for _, u := range res.Units {
		if strings.HasSuffix(u.Name, ".timer") {
			h.mu.Lock()
			h.planTimers = append(h.planTimers, u.Name)
			h.mu.Unlock()
			continue
		}
		if strings.HasSuffix(u.Name, ".target") {
			continue
		}
		switch u.State {
		case services.Active:
			active++
		case services.Failed:
			failed++
		}
	}
	cfg.log.Info("services started", "active", active, "failed", failed, "duration", time.Since(start).Round(time.Millisecond))
	return h.checkRequired(cfg.requiredUnits)
}

// requiredUnits reads --required-units: names, .service added when no
// type is given.
func requiredUnits(list []string) []string {
	var out []string
	for _, n := range list {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, unitName(n))
		}
	}
	return out
}

// checkRequired fails the boot when a unit of --required-units is not
// active after the start (a oneshot that ran to success counts).
func (h *serviceHost) checkRequired(names []string) error {
	if len(names) == 0 {
		return nil
	}
	m := h.running()
	var bad []string
	for _, n := range names {
		if m == nil {
			bad = append(bad, n+" (no unit ran)")
			continue
		}
		st, err := m.Status(n)
		switch {
		case err != nil:
			bad = append(bad, fmt.Sprintf("%s (%v)", n, err))
		case st.ActiveState == services.Active, st.ActiveState == services.Inactive && st.Result == "success" && st.LastExit != nil:
		default:
			why := st.ActiveState
			if st.LastExit != nil {
				why += ", " + st.LastExit.String()
			}
			if st.Condition != "" {
				why += ", " + st.Condition
			}
			bad = append(bad, n+" ("+why+")")
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("required units not active (--required-units): %s", strings.Join(bad, "; "))
	}
	return nil
}

// running returns the Manager once it exists (nil: no service was run).
func (h *serviceHost) running() *services.Manager {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.m
}

// readyAfterServices moves the boot child's ready file to --ready-file once
// the services have started: a probe of the file sees the system ready
// only with its units up, as `boxinit status --ready` does.
func readyAfterServices(cfg *config, bootCfg *boot.Config) {
	tmp := filepath.Join(bootCfg.Root, cfg.bootReadyFile)
	if _, err := os.Stat(tmp); err != nil {
		return // boot did not finish its ready step
	}
	if err := os.Rename(tmp, filepath.Join(bootCfg.Root, bootCfg.ReadyFile)); err != nil {
		cfg.log.Error("cannot make the ready file", "path", bootCfg.ReadyFile, "err", err)
	}
}

// stopServices stops every started unit in the reverse order of the
// starts, within what is left of the grace period.
func stopServices(h *serviceHost, deadline time.Time, log interface{ Warn(string, ...any) }) {
	m := h.running()
	if m == nil {
		return
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if err := m.StopAll(ctx); err != nil {
		log.Warn("services: some units did not stop cleanly", "err", err)
	}
}
