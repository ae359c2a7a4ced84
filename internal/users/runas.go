package users

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/boxinit/boxinit/internal/reaper"
)

// UserPath is the PATH commands run as the user get (Debian's ENV_PATH).
const UserPath = "/usr/local/bin:/usr/bin:/bin"

// Identity is what running as a user needs, read from the account files.
type Identity struct {
	Name     string
	UID, GID int
	Groups   []int // supplementary groups, the primary one included
	Home     string
	Shell    string
}

// LookupIdentity reads the user's ids, groups, home and shell from the
// passwd and group files under root.
func LookupIdentity(root, name string) (Identity, error) {
	pf, err := os.Open(filepath.Join(root, "/etc/passwd"))
	if err != nil {
		return Identity{}, err
	}
	defer pf.Close()
	pw, err := ParsePasswd(pf)
	if err != nil {
		return Identity{}, err
	}
	i := slices.IndexFunc(pw, func(p Passwd) bool { return p.Name == name })
	if i < 0 {
		return Identity{}, fmt.Errorf("user %s: not in /etc/passwd", name)
	}
	id := Identity{Name: name, UID: pw[i].UID, GID: pw[i].GID, Home: pw[i].Home, Shell: pw[i].Shell, Groups: []int{pw[i].GID}}

	gf, err := os.Open(filepath.Join(root, "/etc/group"))
	if err != nil {
		return Identity{}, err
	}
	defer gf.Close()
	groups, err := ParseGroup(gf)
	if err != nil {
		return Identity{}, err
	}
	for _, g := range groups {
		if slices.Contains(g.Members, name) && !slices.Contains(id.Groups, g.GID) {
			id.Groups = append(id.Groups, g.GID)
		}
	}
	return id, nil
}

// Command is a command to run as a user, or as root: the one builder that
// boot's hooks and customization, cron's jobs and the services' Exec*
// lines share. It is a description; [Command.Build] turns it into the
// reaper's.
type Command struct {
	// Root is the tree boxinit works on (--root); Dir is a path inside it.
	Root string
	// User is who runs it: its uid, gid and supplementary groups are set in
	// the child only (PID 1 stays root). nil: root, as boxinit is.
	User *Identity
	Args []string
	// Env is the whole environment, as the caller built it: the user's
	// login variables ([Identity.Env]) for hooks and jobs, systemd's clean
	// environment for services. Build changes nothing in it.
	Env []string
	// Dir is the working directory as the command sees the tree: "" is
	// the user's home (root: "/"). It is looked up inside Root.
	Dir string
	// DirFallback runs the command in Root's "/" when Dir is not a
	// directory (cron(8) with a missing home, WorkingDirectory=-…);
	// otherwise Build fails naming Dir.
	DirFallback bool
	// Stdin, Stdout and Stderr default to /dev/null.
	Stdin, Stdout, Stderr *os.File
}

// Build returns the reaper's command: the credentials of User, a new
// session (away from boxinit's terminal and process group, so that a
// timeout can stop the whole group), the working directory inside Root.
// The umask is boxinit's (022, set at start).
func (c Command) Build() (*reaper.Cmd, error) {
	dir := c.Dir
	if dir == "" {
		dir = "/"
		if c.User != nil && c.User.Home != "" {
			dir = c.User.Home
		}
	}
	root := c.Root
	if root == "" {
		root = "/"
	}
	host := filepath.Join(root, filepath.Clean("/"+dir))
	if fi, err := os.Stat(host); err != nil || !fi.IsDir() {
		if !c.DirFallback {
			var pe *fs.PathError
			switch {
			case err == nil:
				err = errors.New("not a directory")
			case errors.As(err, &pe):
				err = pe.Err // the path is said once
			}
			return nil, fmt.Errorf("working directory %s: %w", host, err)
		}
		host = root
	}
	sys := &syscall.SysProcAttr{Setsid: true}
	if id := c.User; id != nil {
		groups := make([]uint32, len(id.Groups))
		for i, g := range id.Groups {
			groups[i] = uint32(g)
		}
		sys.Credential = &syscall.Credential{Uid: uint32(id.UID), Gid: uint32(id.GID), Groups: groups}
	}
	return &reaper.Cmd{Args: c.Args, Env: c.Env, Dir: host, Stdin: c.Stdin, Stdout: c.Stdout, Stderr: c.Stderr, Sys: sys}, nil
}

// LoginVars are what login(1) sets for the user besides PATH, in this
// order: HOME, USER, LOGNAME, SHELL.
func (id Identity) LoginVars() []string {
	return []string{"HOME=" + id.Home, "USER=" + id.Name, "LOGNAME=" + id.Name, "SHELL=" + id.Shell}
}

// Env returns env with the user's login variables and PATH [UserPath] in
// place of any there, at its end.
func (id Identity) Env(env []string) []string {
	set := append(id.LoginVars(), "PATH="+UserPath)
	out := make([]string, 0, len(env)+len(set))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if !slices.ContainsFunc(set, func(s string) bool { return strings.HasPrefix(s, k+"=") }) {
			out = append(out, kv)
		}
	}
	return append(out, set...)
}
