package boot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/boxinit/boxinit/internal/sysfile"
	"github.com/boxinit/boxinit/internal/users"
)

// customize runs the user's own setup as the admin user, like the rc.user
// of the old chart: CUSTOMIZE_REPO cloned into a fresh temporary directory
// and CUSTOMIZE_REPO_COMMAND run in it, then CUSTOMIZE_COMMAND in the home,
// then --user-script. Failures are warnings. Messages never quote the
// commands or the repository URL: they may hold tokens.
func (b *Boot) customize(ctx context.Context) (Outcome, string, error) {
	c := b.cfg
	script := c.path(c.UserScript)
	_, statErr := os.Stat(script)
	hasScript := statErr == nil
	if c.User == nil {
		if hasScript {
			return Warning, c.UserScript + " exists but DEFAULT_USER is not set: not run", nil
		}
		return Skipped, "DEFAULT_USER is not set", nil
	}
	if c.CustomizeRepo == "" && c.CustomizeCommand == "" && !hasScript {
		return Skipped, "no CUSTOMIZE_* and no " + c.UserScript, nil
	}
	id, err := users.LookupIdentity(c.Root, c.User.Name)
	if err != nil {
		return fail(err)
	}
	shell := "/bin/sh"
	if _, err := os.Stat(c.path("/bin/bash")); err == nil {
		shell = "/bin/bash"
	}

	var did, problems []string
	// runAs runs args as the user in dir (a path inside the root
	// directory; "" is the home) and notes how it went. Commands run on
	// the real file system: with --root other than /, paths given to them
	// are the real ones.
	runAs := func(what, dir string, args ...string) bool {
		code, err := b.runLogged(ctx, "customize", what, users.Command{User: &id, Args: args, Env: id.Env(c.Env), Dir: dir})
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("%s: %v", what, err))
		case code != 0:
			problems = append(problems, fmt.Sprintf("%s exited with %d", what, code))
		default:
			did = append(did, what)
			return true
		}
		return false
	}

	if c.CustomizeRepo != "" {
		tmp, err := b.userTempDir(id)
		if err != nil {
			problems = append(problems, "CUSTOMIZE_REPO: "+err.Error())
		} else {
			clone := filepath.Join(tmp, "repo")
			if runAs("git clone CUSTOMIZE_REPO", c.inRoot(tmp), "git", "clone", "--quiet", "--recurse-submodules", "--", c.CustomizeRepo, clone) &&
				c.CustomizeRepoCommand != "" {
				runAs("CUSTOMIZE_REPO_COMMAND", c.inRoot(clone), shell, "-c", c.CustomizeRepoCommand)
			}
			_ = os.RemoveAll(tmp)
		}
	}
	if c.CustomizeCommand != "" {
		runAs("CUSTOMIZE_COMMAND", "", shell, "-c", c.CustomizeCommand)
	}
	if hasScript && ctx.Err() == nil {
		if err := b.runUserScript(script, id, runAs); err != nil {
			problems = append(problems, c.UserScript+": "+err.Error())
		}
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	msg := ""
	if len(did) > 0 {
		msg = "ran " + strings.Join(did, ", ")
	}
	if len(problems) > 0 {
		return Warning, strings.TrimPrefix(msg+"; "+strings.Join(problems, "; "), "; "), nil
	}
	return OK, msg, nil
}

// userTempDir makes a fresh directory under /tmp that only the user can use.
func (b *Boot) userTempDir(id users.Identity) (string, error) {
	tmpRoot := b.cfg.path("/tmp")
	if err := os.Mkdir(tmpRoot, 0o700); err == nil {
		// A missing /tmp is made as a system has it: everyone's, sticky.
		if err := os.Chmod(tmpRoot, 0o777|os.ModeSticky); err != nil {
			return "", err
		}
	} else if !errors.Is(err, fs.ErrExist) {
		return "", err
	}
	dir, err := os.MkdirTemp(tmpRoot, "boxinit-customize-")
	if err != nil {
		return "", err
	}
	if err := os.Chown(dir, id.UID, id.GID); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

// runUserScript copies the script to a private file the user can run, even
// when the original is not executable or not readable by the user (as the
// old chart did with cp + chmod + su), and runs it.
func (b *Boot) runUserScript(script string, id users.Identity, runAs func(string, string, ...string) bool) error {
	tmp, err := b.userTempDir(id)
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	copyPath := filepath.Join(tmp, "rc.user")
	if err := sysfile.CopyFile(script, copyPath, 0o500, id.UID, id.GID); err != nil {
		return err
	}
	args := []string{copyPath}
	if !hasShebang(copyPath) {
		args = []string{"/bin/sh", copyPath}
	}
	runAs(b.cfg.UserScript, "", args...)
	return nil
}

func hasShebang(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, 2)
	_, err = io.ReadFull(f, b)
	return err == nil && string(b) == "#!"
}
