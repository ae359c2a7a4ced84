package services

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/boxinit/boxinit/internal/linelog"
	"github.com/boxinit/boxinit/internal/units"
	"github.com/boxinit/boxinit/internal/users"
)

// GeneratorDirs are where systemd.generator(7) says system generators
// live, in order of precedence (/lib is Debian's when /usr is not merged).
var GeneratorDirs = []string{
	"/run/systemd/system-generators",
	"/etc/systemd/system-generators",
	"/usr/local/lib/systemd/system-generators",
	"/lib/systemd/system-generators",
	"/usr/lib/systemd/system-generators",
}

// GeneratorOutput are the three directories a generator writes to
// (normal, early, late), each on units.SearchPath.
var GeneratorOutput = [3]string{"/run/systemd/generator", "/run/systemd/generator.early", "/run/systemd/generator.late"}

// generatorTimeout bounds each generator.
const generatorTimeout = 10 * time.Second

// RunGenerators runs the system generators as systemd does before it
// loads units: the output directories are emptied, then every executable
// of GeneratorDirs runs (the first of a name wins; one linked to /dev/null
// or empty is masked; systemd's own, systemd-*, need systemd and are
// skipped) in parallel, as root, with the three output directories as
// arguments and SYSTEMD_SCOPE=system, SYSTEMD_VIRTUALIZATION=container:ID,
// SYSTEMD_ARCHITECTURE in the environment. Their output is logged with
// generator=. Then the init scripts of /etc/init.d with no native unit
// become units, as systemd-sysv-generator makes them (units.GenerateSysV). A generator that fails or runs over its time is reported in
// the error; the others' output is kept, as under systemd.
func (m *Manager) RunGenerators(ctx context.Context) error {
	root := m.o.Root
	for _, d := range GeneratorOutput {
		host := filepath.Join(root, d)
		if err := os.RemoveAll(host); err != nil {
			return fmt.Errorf("generators: empty %s: %w", d, err)
		}
		if err := os.MkdirAll(host, 0o755); err != nil {
			return fmt.Errorf("generators: %w", err)
		}
	}
	gens := findGenerators(root)
	env := []string{"PATH=" + servicePath, "SYSTEMD_SCOPE=system", "SYSTEMD_IN_INITRD=0",
		"SYSTEMD_VIRTUALIZATION=container:" + m.o.Facts.Virtualization, "SYSTEMD_ARCHITECTURE=" + units.ExecArch()}
	args := make([]string, 3)
	for i, d := range GeneratorOutput {
		args[i] = filepath.Join(root, d) // as the generator sees it
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, g := range gens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := m.runGenerator(ctx, g, args, env); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	// systemd-sysv-generator's part, last (it reads the other generators'
	// units to know which scripts have a native one)
	if made, err := units.GenerateSysV(root, filepath.Join(root, GeneratorOutput[2])); err != nil {
		errs = append(errs, err)
	} else if len(made) > 0 {
		m.o.Log.Debug("units generated from SysV init scripts", "units", strings.Join(made, " "))
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errors.Join(errs...)
}

// findGenerators lists the generators to run, as host paths, by name.
func findGenerators(root string) []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range GeneratorDirs {
		des, err := os.ReadDir(filepath.Join(root, d))
		if err != nil {
			continue
		}
		for _, de := range des {
			name := de.Name()
			if seen[name] {
				continue
			}
			seen[name] = true
			p := filepath.Join(root, d, name)
			if target, err := os.Readlink(p); err == nil && target == "/dev/null" {
				continue // masked
			}
			fi, err := os.Stat(p)
			if err != nil || !fi.Mode().IsRegular() || fi.Size() == 0 || fi.Mode()&0o111 == 0 || strings.HasPrefix(name, "systemd-") {
				continue
			}
			out = append(out, p)
		}
	}
	return out
}

func (m *Manager) runGenerator(ctx context.Context, path string, args, env []string) error {
	name := filepath.Base(path)
	log := m.o.Log.With("generator", name)
	cmd, err := users.Command{Root: m.o.Root, Args: append([]string{path}, args...), Env: env, Dir: "/"}.Build()
	if err != nil {
		return fmt.Errorf("generator %s: %w", name, err)
	}
	start := m.now()
	timeout := generatorTimeout
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < timeout {
		timeout = max(time.Until(dl), time.Nanosecond)
	}
	// The context only bounds the time: a generator is not left running.
	p, err := linelog.Runner{Start: m.o.Run, Log: log, Mask: m.o.Redact, Timeout: timeout}.Run(context.WithoutCancel(ctx), cmd)
	var te *linelog.TimeoutError
	switch {
	case errors.As(err, &te):
		return fmt.Errorf("generator %s: still running after %s, killed", name, generatorTimeout)
	case err != nil:
		return fmt.Errorf("generator %s: %w", name, err)
	}
	e := exitOf(p.Wait())
	log.Info("generator finished", "status", e.String(), "duration", m.now().Sub(start).Round(time.Millisecond))
	if e.Code != 0 || e.Signal != 0 {
		return fmt.Errorf("generator %s: %s", name, e)
	}
	return nil
}
