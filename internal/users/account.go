package users

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/boxinit/boxinit/internal/sysfile"
)

// Account is the admin user that boot ensures.
type Account struct {
	Name   string   // DEFAULT_USER
	UID    int      // DEFAULT_USER_ID; also the gid of its private group
	Shell  string   // DEFAULT_USER_SHELL
	Groups []string // DEFAULT_USER_GROUPS: extra groups
	// DefaultShell says Shell is boxinit's default, not DEFAULT_USER_SHELL:
	// an existing account keeps the shell it has (chsh, the image's).
	DefaultShell bool
}

// Home is where the account lives: /home/NAME.
func (a Account) Home() string { return "/home/" + a.Name }

// lastSystemUID is SYS_UID_MAX of Debian's login.defs: names at or below
// it (and in 60000–65535, see isSystemID) belong to the system (root,
// daemon, www-data, nobody...) and are never taken over.
const lastSystemUID = 999

// lazyRegexp compiles expr on first use rather than at program start:
// package initialisation runs in every boxinit process, `boxinit version`
// and PID 1 included.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

var nameRE = lazyRegexp(`^[a-z_][a-z0-9_.-]*$`)

// ValidateName checks a user name against the rules of DEFAULT_USER; the
// error names the variable, the value and the rule.
func ValidateName(name string) error {
	switch {
	case !nameRE().MatchString(name):
		return fmt.Errorf("DEFAULT_USER %q: must match %s", name, nameRE())
	case len(name) > 32:
		return fmt.Errorf("DEFAULT_USER %q: longer than 32 characters", name)
	}
	return nil
}

// Changes says which files EnsureAccount rewrote and what it created.
type Changes struct {
	Files       []string // account files rewritten
	HomeCreated bool
}

// Changed reports whether anything on disk changed.
func (c Changes) Changed() bool { return len(c.Files) > 0 || c.HomeCreated }

// now is the clock for the shadow "last change" day; tests pin it.
var now = time.Now

// EnsureAccount makes the account exist under root as Debian's
// `useradd -m -U -G GROUPS -s SHELL -u UID NAME` would create it, and
// adds missing group memberships to an existing one. An account that is
// already as wanted is not rewritten at all. Missing extra groups are
// skipped with a warning.
func EnsureAccount(root string, a Account, log *slog.Logger) (Changes, error) {
	if err := ValidateName(a.Name); err != nil {
		return Changes{}, err
	}
	unlock, err := lockAccounts(root, lockTimeout)
	if err != nil {
		return Changes{}, err
	}
	defer unlock()
	// Left by a killed run; only the account files': boot's hostname step
	// may be writing /etc/hosts beside them.
	sysfile.RemoveStaleTemps(filepath.Join(root, "/etc"), "passwd", "passwd-", "shadow", "shadow-", "group", "group-", "gshadow", "gshadow-")

	db, err := loadDB(root)
	if err != nil {
		return Changes{}, err
	}
	if err := db.checkConflicts(root, a); err != nil {
		return Changes{}, err
	}
	db.ensureUser(a)
	for _, g := range a.Groups {
		if g == a.Name {
			continue // its own group: already a member by gid
		}
		if !db.addMember(g, a.Name) {
			log.Warn("extra group does not exist: skipped", "group", g, "user", a.Name)
		}
	}
	var ch Changes
	if ch.Files, err = db.save(root); err != nil {
		return ch, err
	}
	ch.HomeCreated, err = ensureHome(root, a)
	return ch, err
}

// db holds the four account files; shadow and gshadow are nil where the
// image has none (distroless-like images).
type db struct {
	passwd, group, shadow, gshadow *table
	dirty                          map[*table]bool
	aging                          passwordAging
}

var accountFiles = []struct {
	path   string
	fields int
	opt    bool // may be missing
}{
	{"/etc/passwd", 7, false},
	{"/etc/group", 4, false},
	{"/etc/shadow", 9, true},
	{"/etc/gshadow", 4, true},
}

func loadDB(root string) (*db, error) {
	d := &db{dirty: map[*table]bool{}, aging: readLoginDefs(root)}
	ptrs := []**table{&d.passwd, &d.group, &d.shadow, &d.gshadow}
	for i, f := range accountFiles {
		fh, err := os.Open(filepath.Join(root, f.path))
		if f.opt && errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read account file: %w", err)
		}
		t, err := parseTable(f.path, f.fields, fh)
		fh.Close()
		if err != nil {
			return nil, err
		}
		*ptrs[i] = t
	}
	return d, nil
}

// save writes the files that changed, in the order useradd does, each
// atomically with a "-" backup.
func (d *db) save(root string) ([]string, error) {
	var written []string
	for _, t := range []*table{d.passwd, d.shadow, d.group, d.gshadow} {
		if t == nil || !d.dirty[t] {
			continue
		}
		path := filepath.Join(root, t.name)
		if _, err := sysfile.Replace(path, t.bytes(), sysfile.Options{Mode: 0o644, Backup: true, NoDirSync: true}); err != nil {
			return written, fmt.Errorf("write %s: %w", t.name, err)
		}
		written = append(written, t.name)
	}
	if len(written) > 0 {
		return written, sysfile.SyncDir(filepath.Join(root, "/etc"))
	}
	return written, nil
}

func (d *db) set(t *table, i int, fields []string) {
	if t.set(i, fields) {
		d.dirty[t] = true
	}
}

// checkConflicts refuses to take over what belongs to someone else, or to
// add a line for a name that has a malformed one.
func (d *db) checkConflicts(root string, a Account) error {
	uid, _, err := d.planUID(root, a.Name, a.UID)
	if err == nil && uid != a.UID {
		err = fmt.Errorf("user %s: exists in /etc/passwd with uid %d, not %d", a.Name, uid, a.UID)
	}
	return err
}

// ensureUser writes the passwd, group, shadow and gshadow entries of a new
// account, and corrects the shell or home of an existing one. Password
// fields of existing entries are never touched.
func (d *db) ensureUser(a Account) {
	id := strconv.Itoa(a.UID)
	i, f := d.passwd.find(0, a.Name)
	if f == nil {
		f = []string{a.Name, "x", id, id, "", a.Home(), a.Shell}
	} else {
		f[3], f[5] = id, a.Home()
		if !a.DefaultShell || f[6] == "" {
			f[6] = a.Shell
		}
	}
	d.set(d.passwd, i, f)

	if i, _ := d.group.find(0, a.Name); i < 0 {
		d.set(d.group, -1, []string{a.Name, "x", id, ""})
	}
	if d.shadow != nil {
		if i, _ := d.shadow.find(0, a.Name); i < 0 {
			day := strconv.FormatInt(now().Unix()/86400, 10)
			p := d.aging
			d.set(d.shadow, -1, []string{a.Name, "!", day, p.min, p.max, p.warn, "", "", ""})
		}
	}
	if d.gshadow != nil {
		if i, _ := d.gshadow.find(0, a.Name); i < 0 {
			d.set(d.gshadow, -1, []string{a.Name, "!", "", ""})
		}
	}
}

// addMember adds user to group in group and gshadow; false when the group
// does not exist.
func (d *db) addMember(group, user string) bool {
	i, f := d.group.find(0, group)
	if f == nil {
		return false
	}
	if m := splitMembers(f[3]); !slices.Contains(m, user) {
		f[3] = strings.Join(append(m, user), ",")
		d.set(d.group, i, f)
	}
	if d.gshadow != nil {
		if i, f := d.gshadow.find(0, group); f != nil {
			if m := splitMembers(f[3]); !slices.Contains(m, user) {
				f[3] = strings.Join(append(m, user), ",")
				d.set(d.gshadow, i, f)
			}
		}
	}
	return true
}
