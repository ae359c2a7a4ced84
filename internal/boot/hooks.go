package boot

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/boxinit/boxinit/internal/sysfile"
	"github.com/boxinit/boxinit/internal/users"
)

// hookTrusted refuses a hook that someone other than root could have
// changed: root would run their code. The file (through its links) and
// every directory up to the root's / must be root's (or boxinit's own
// user's when boxinit is not root) and not writable by group or others.
func hookTrusted(cfg *Config, path string) error {
	return sysfile.Trusted(path, cfg.path("/"), os.Geteuid())
}

// HookProblems lists the hooks of --hooks-dir that boot would refuse, as
// `boxinit check` reports them.
func HookProblems(cfg *Config) []string {
	hooks, _, err := hookFiles(cfg)
	if err != nil {
		return nil // boot reports it; a missing directory is no problem
	}
	return refusedHooks(cfg, hooks)
}

// refusedHooks says, for each of the hooks that is not hookTrusted, why.
func refusedHooks(cfg *Config, hooks []string) []string {
	var out []string
	for _, h := range hooks {
		if err := hookTrusted(cfg, filepath.Join(cfg.path(cfg.HooksDir), h)); err != nil {
			out = append(out, fmt.Sprintf("hook %s refused: %v", filepath.Join(cfg.HooksDir, h), err))
		}
	}
	return out
}

// hookFiles lists the executables of --hooks-dir in lexical order (names
// starting with '.' are ignored, as run-parts does: a ConfigMap volume's
// ..data lives there), and the other entries, which are skipped.
func hookFiles(cfg *Config) (hooks, skipped []string, err error) {
	dir := cfg.path(cfg.HooksDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries { // ReadDir sorts by name
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		fi, err := os.Stat(filepath.Join(dir, e.Name())) // a symlink to an executable counts
		if err != nil || !fi.Mode().IsRegular() || fi.Mode()&0o111 == 0 {
			skipped = append(skipped, e.Name())
			continue
		}
		hooks = append(hooks, e.Name())
	}
	return hooks, skipped, nil
}

// hooks runs every executable of --hooks-dir as root, in lexical order,
// with the merged environment, in the root directory's "/". Files that are
// not executable are skipped; a hook someone other than root could have
// changed is refused (hookTrusted) and, like a hook that fails, stops the
// boot before any hook runs. Hooks run at every boot, so they must be
// idempotent themselves.
func (b *Boot) hooks(ctx context.Context) (Outcome, string, error) {
	hooks, skipped, err := hookFiles(b.cfg)
	if errors.Is(err, fs.ErrNotExist) {
		return Skipped, b.cfg.HooksDir + " does not exist", nil
	}
	if err != nil {
		return fail(err)
	}
	if refused := refusedHooks(b.cfg, hooks); len(refused) > 0 {
		return fail(errors.New(strings.Join(refused, "; ")))
	}
	var ran []string
	for _, h := range hooks {
		path := filepath.Join(b.cfg.path(b.cfg.HooksDir), h)
		code, err := b.runLogged(ctx, "hooks", h, users.Command{Args: []string{path}, Env: b.cfg.Env, Dir: "/"})
		if err != nil {
			return fail(fmt.Errorf("hook %s: %w", filepath.Join(b.cfg.HooksDir, h), err))
		}
		if code != 0 {
			return fail(fmt.Errorf("hook %s exited with %d", filepath.Join(b.cfg.HooksDir, h), code))
		}
		ran = append(ran, h)
	}
	msg := fmt.Sprintf("ran %d: %s", len(ran), strings.Join(ran, " "))
	if len(skipped) > 0 {
		msg += fmt.Sprintf("; skipped %d (not executable): %s", len(skipped), strings.Join(skipped, " "))
	}
	return OK, msg, nil // what a hook changed is its own business
}
