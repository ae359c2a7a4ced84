package services

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/boxinit/boxinit/internal/reaper"
	"github.com/boxinit/boxinit/internal/units"
	"github.com/boxinit/boxinit/internal/users"
)

// servicePath is the PATH systemd gives services.
const servicePath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// execContext is what every command of one start of a service shares.
type execContext struct {
	root  string
	svc   *units.Service
	env   []string // the whole environment, MAINPID aside
	vars  map[string]string
	user  *users.Identity // User=/Group=; nil: root, as boxinit is
	dir   string          // WorkingDirectory=, inside root
	self  string          // boxinit's executable, for the helper
	out   *os.File        // the unit's log pipe (nil: /dev/null)
	umask int             // UMask=
}

// lookupIdentity resolves User=, Group= and SupplementaryGroups= in the
// account files under root. An empty User= is root.
func lookupIdentity(root string, s *units.Service) (users.Identity, error) {
	id := users.Identity{Name: "root", Home: "/root", Shell: "/bin/sh"}
	if s.User != "" && s.User != "root" && s.User != "0" {
		ui, err := users.LookupIdentity(root, s.User)
		switch {
		case err == nil:
			id = ui
		case isNumber(s.User):
			n, _ := strconv.Atoi(s.User)
			id = users.Identity{Name: s.User, Home: "/", Shell: "/bin/sh", UID: n, GID: n, Groups: []int{n}}
		default:
			return id, fmt.Errorf("service user: %w", err)
		}
	}
	groupNames := s.SupplementaryGroups
	if s.Group != "" {
		groupNames = append([]string{s.Group}, groupNames...)
	}
	if len(groupNames) == 0 {
		return id, nil
	}
	groups, err := readGroups(root)
	if err != nil {
		return id, err
	}
	for i, name := range groupNames {
		gid := -1
		for _, g := range groups {
			if g.Name == name {
				gid = g.GID
			}
		}
		if gid < 0 && isNumber(name) {
			gid, _ = strconv.Atoi(name)
		}
		if gid < 0 {
			return id, fmt.Errorf("group %s: not in /etc/group", name)
		}
		if i == 0 && s.Group != "" {
			id.GID = gid
		}
		if !slices.Contains(id.Groups, gid) {
			id.Groups = append(id.Groups, gid)
		}
	}
	return id, nil
}

// runAs is who runs the unit's commands and where: the identity when
// User= names another user than root or Group= is set (nil: root), and
// WorkingDirectory= inside root ("~" the user's home, unset "/").
func runAs(s *units.Service, id users.Identity) (*users.Identity, string) {
	var user *users.Identity
	if s.User != "" && id.UID != 0 || s.Group != "" {
		user = &id
	}
	switch dir := s.WorkingDirectory; dir {
	case "":
		return user, "/"
	case "~":
		return user, id.Home
	default:
		return user, dir
	}
}

func readGroups(root string) ([]users.Group, error) {
	f, err := os.Open(filepath.Join(root, "etc/group"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return users.ParseGroup(f)
}

func isNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

// serviceEnv builds a service's environment as systemd does, in this
// order (a later one wins): base (boxinit's own environment), PATH, the
// user's HOME/USER/LOGNAME/SHELL, the directories' variables, the
// notify socket, Environment=, then EnvironmentFile= files in order;
// UnsetEnvironment= last. A missing EnvironmentFile= without '-' is an
// error naming it.
func serviceEnv(root string, base []string, s *units.Service, id users.Identity, extra map[string]string) ([]string, error) {
	env := newEnv(base)
	env.set("PATH", servicePath)
	if s.User != "" {
		for _, kv := range id.LoginVars() {
			k, v, _ := strings.Cut(kv, "=")
			env.set(k, v)
		}
	}
	for _, k := range sortedKeys(extra) {
		env.set(k, extra[k])
	}
	for _, v := range s.Environment {
		env.set(v.Name, v.Value)
	}
	for _, ef := range s.EnvironmentFiles {
		f, err := openInRoot(root, ef.Path)
		if errors.Is(err, fs.ErrNotExist) && ef.Optional {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("EnvironmentFile=%s: %w", ef.Path, err)
		}
		vars, _, err := units.ParseEnvironmentFile(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("EnvironmentFile=%s: %w", ef.Path, err)
		}
		for _, v := range vars {
			env.set(v.Name, v.Value)
		}
	}
	for _, u := range s.UnsetEnvironment {
		if k, v, ok := strings.Cut(u, "="); ok {
			if cur, has := env.get(k); has && cur == v {
				env.unset(k)
			}
			continue
		}
		env.unset(u)
	}
	return env.list(), nil
}

// openInRoot opens a file the unit names (a path inside root).
func openInRoot(root, p string) (*os.File, error) {
	return os.Open(filepath.Join(root, path.Clean("/"+p)))
}

// command builds the reaper command for one command line of the unit.
// mainPID (0: unknown) becomes $MAINPID. '+' and '!' run as root.
func (x *execContext) command(c units.ExecCommand, mainPID int) (*reaper.Cmd, error) {
	vars := x.vars
	env := x.env
	if mainPID > 0 {
		vars = cloneMap(x.vars)
		vars["MAINPID"] = strconv.Itoa(mainPID)
		env = append(append([]string(nil), env...), "MAINPID="+strconv.Itoa(mainPID))
	}
	argv := units.ExpandCommand(c, vars)
	exe := c.Path
	if !strings.Contains(exe, "/") {
		found, err := searchExec(exe)
		if err != nil {
			return nil, err
		}
		exe = found
	}
	user := x.user
	if c.Privileged || c.NoSetuid || c.AmbientMagic {
		user = nil
	}
	cmd, err := users.Command{Root: x.root, User: user, Args: append([]string{exe}, argv[1:]...), Env: env,
		Dir: x.dir, DirFallback: x.svc.WorkingDirOptional, Stdout: x.out, Stderr: x.out}.Build()
	if err != nil {
		return nil, fmt.Errorf("WorkingDirectory=%s: %w", x.svc.WorkingDirectory, err)
	}
	if x.umask == processUmask && len(x.svc.Limits) == 0 && argv[0] == exe {
		return cmd, nil
	}
	// The helper sets the umask and the limits (a raised hard limit needs
	// root), then the credentials, and execs the program.
	cmd.Sys.Credential = nil
	h := helperSpec{umask: -1, path: exe, argv: argv}
	if user != nil {
		h.cred = &credential{uid: user.UID, gid: user.GID, groups: user.Groups}
	}
	if x.umask != processUmask {
		h.umask = x.umask
	}
	for _, l := range x.svc.Limits {
		h.limits = append(h.limits, rlimit{res: l.Resource, soft: l.Soft, hard: l.Hard})
	}
	cmd.Args = h.args(x.self)
	return cmd, nil
}

// searchExec finds a bare program name in systemd's fixed search path.
func searchExec(name string) (string, error) {
	for _, dir := range filepath.SplitList(units.ExecSearchPath) {
		p := filepath.Join(dir, name)
		if checkExecutable(p) == nil {
			return p, nil
		}
	}
	return "", &reaper.StartError{Name: name, Err: reaper.ErrNotFound}
}

func checkExecutable(p string) error {
	fi, err := os.Stat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &reaper.StartError{Name: p, Err: reaper.ErrNotFound}
	case err != nil:
		return &reaper.StartError{Name: p, Err: err}
	case fi.IsDir() || fi.Mode()&0o111 == 0:
		return &reaper.StartError{Name: p, Err: reaper.ErrNotExecutable}
	}
	return nil
}

func cloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// envList is an environment with one value per name, in first-set order.
type envList struct {
	keys []string
	vals map[string]string
}

func newEnv(base []string) *envList {
	e := &envList{vals: map[string]string{}}
	for _, kv := range base {
		if k, v, ok := strings.Cut(kv, "="); ok {
			e.set(k, v)
		}
	}
	return e
}

func (e *envList) set(k, v string) {
	if _, ok := e.vals[k]; !ok {
		e.keys = append(e.keys, k)
	}
	e.vals[k] = v
}

func (e *envList) get(k string) (string, bool) { v, ok := e.vals[k]; return v, ok }

func (e *envList) unset(k string) {
	if _, ok := e.vals[k]; !ok {
		return
	}
	delete(e.vals, k)
	e.keys = slices.DeleteFunc(e.keys, func(x string) bool { return x == k })
}

func (e *envList) list() []string {
	out := make([]string, 0, len(e.keys))
	for _, k := range e.keys {
		out = append(out, k+"="+e.vals[k])
	}
	return out
}

func (e *envList) vars() map[string]string { return cloneMap(e.vals) }

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
