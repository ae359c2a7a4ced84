package boot

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/boxinit/boxinit/internal/users"
)

// hooks runs every executable of --hooks-dir as root, in lexical order,
// with the merged environment, in the root directory's "/". Names starting with '.' are ignored, files
// that are not executable skipped; a hook that fails stops the boot. Hooks
// run at every boot, so they must be idempotent themselves.
func (b *Boot) hooks(ctx context.Context) (Outcome, string, error) {
	dir := b.cfg.path(b.cfg.HooksDir)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return Skipped, b.cfg.HooksDir + " does not exist", nil
	}
	if err != nil {
		return fail(err)
	}
	var ran, skipped []string
	for _, e := range entries { // ReadDir sorts by name
		if strings.HasPrefix(e.Name(), ".") {
			continue // ignored, as run-parts does: a ConfigMap volume's ..data lives here
		}
		path := filepath.Join(dir, e.Name())
		fi, err := os.Stat(path) // a symlink to an executable counts
		if err != nil || !fi.Mode().IsRegular() || fi.Mode()&0o111 == 0 {
			skipped = append(skipped, e.Name())
			continue
		}
		code, err := b.runLogged(ctx, "hooks", e.Name(), users.Command{Args: []string{path}, Env: b.cfg.Env, Dir: "/"})
		if err != nil {
			return fail(fmt.Errorf("hook %s: %w", filepath.Join(b.cfg.HooksDir, e.Name()), err))
		}
		if code != 0 {
			return fail(fmt.Errorf("hook %s exited with %d", filepath.Join(b.cfg.HooksDir, e.Name()), code))
		}
		ran = append(ran, e.Name())
	}
	msg := fmt.Sprintf("ran %d: %s", len(ran), strings.Join(ran, " "))
	if len(skipped) > 0 {
		msg += fmt.Sprintf("; skipped %d (not executable): %s", len(skipped), strings.Join(skipped, " "))
	}
	return OK, msg, nil // what a hook changed is its own business
}
