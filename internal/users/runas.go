package users

import (
	"fmt"
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

// Command builds the command that runs args as the user: its uid, gid and
// groups, a new session, HOME, USER, LOGNAME, SHELL and PATH set over env
// (the merged boxinit environment), the home as working directory and
// stdin from /dev/null. PID 1 itself stays root: the credentials are set in
// the child only. The umask is boxinit's (022, set at start).
func (id Identity) Command(args, env []string) *reaper.Cmd {
	groups := make([]uint32, len(id.Groups))
	for i, g := range id.Groups {
		groups[i] = uint32(g)
	}
	return &reaper.Cmd{
		Args: args,
		Env:  id.Env(env),
		Dir:  id.Home,
		Sys: &syscall.SysProcAttr{
			Setsid:     true,
			Credential: &syscall.Credential{Uid: uint32(id.UID), Gid: uint32(id.GID), Groups: groups},
		},
	}
}

// Env returns env with the user's login variables in place of any there.
func (id Identity) Env(env []string) []string {
	set := map[string]string{"HOME": id.Home, "USER": id.Name, "LOGNAME": id.Name, "SHELL": id.Shell, "PATH": UserPath}
	out := make([]string, 0, len(env)+len(set))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := set[k]; !ok {
			out = append(out, kv)
		}
	}
	for _, k := range []string{"HOME", "USER", "LOGNAME", "SHELL", "PATH"} {
		out = append(out, k+"="+set[k])
	}
	return out
}
