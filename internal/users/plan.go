package users

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// FirstUID is where useradd starts looking for a free uid (UID_MIN).
const FirstUID = 1000

// isSystemID reports whether an id belongs to the system in Debian's
// allocation (base-passwd's README): 0–999 for system accounts,
// 60000–65535 for the globally allocated ones and nobody (65534).
func isSystemID(n int) bool { return n <= lastSystemUID || (n >= 60000 && n <= 65535) }

// PlanUID decides the uid of the admin account before anything is written,
// so that `boxinit check` finds what boot would trip over. want is
// DEFAULT_USER_ID, 0 when it is not set. It returns
//   - the uid of an existing account of that name (want must match it),
//   - want, when no other account or group has it,
//   - with want 0: the uid of an existing /home/NAME (a persistent home
//     outliving its /etc) when that is free, else the first uid from 1000
//     up that is free as a uid and as a gid, as `useradd -U` picks it.
//
// Errors name the file and line, or the variable to change. auto reports
// whether the uid was picked rather than asked for.
func PlanUID(root, name string, want int) (uid int, auto bool, err error) {
	d, err := loadDB(root)
	if err != nil {
		return 0, false, err
	}
	return d.planUID(root, name, want)
}

func (d *db) planUID(root, name string, want int) (int, bool, error) {
	if err := d.checkMalformed(name); err != nil {
		return 0, false, err
	}
	if _, f := d.passwd.find(0, name); f != nil {
		n, _ := atoiID(f[2])
		switch {
		case isSystemID(n):
			return 0, false, fmt.Errorf("DEFAULT_USER %q: is a system account (uid %d) in /etc/passwd; choose another name", name, n)
		case want != 0 && n != want:
			return 0, false, fmt.Errorf("DEFAULT_USER_ID %d: user %s already exists in /etc/passwd with uid %d; set DEFAULT_USER_ID=%d or leave it unset", want, name, n, n)
		}
		return n, false, d.checkIDs(name, n)
	}
	if want != 0 {
		return want, false, d.checkIDs(name, want)
	}
	if n, ok := homeOwner(root, name); ok && !isSystemID(n) && d.checkIDs(name, n) == nil {
		return n, true, nil
	}
	for n := FirstUID; n < 60000; n++ {
		if d.checkIDs(name, n) == nil {
			return n, true, nil
		}
	}
	return 0, false, fmt.Errorf("DEFAULT_USER %q: no free uid from %d to 59999; set DEFAULT_USER_ID", name, FirstUID)
}

// checkIDs reports whether uid (and the gid of the private group, the
// same number) is free for name or already name's own.
func (d *db) checkIDs(name string, uid int) error {
	id := strconv.Itoa(uid)
	if _, f := d.passwd.find(2, id); f != nil && f[0] != name {
		return fmt.Errorf("DEFAULT_USER_ID %d: uid %d is already used by %s in /etc/passwd; choose another or leave DEFAULT_USER_ID unset", uid, uid, f[0])
	}
	if _, f := d.group.find(0, name); f != nil && f[2] != id {
		return fmt.Errorf("DEFAULT_USER_ID %d: group %s exists in /etc/group with gid %s; set DEFAULT_USER_ID=%s", uid, name, f[2], f[2])
	}
	if _, f := d.group.find(2, id); f != nil && f[0] != name {
		return fmt.Errorf("DEFAULT_USER_ID %d: gid %d is already used by group %s in /etc/group; choose another or leave DEFAULT_USER_ID unset", uid, uid, f[0])
	}
	return nil
}

// checkMalformed refuses an entry for name that cannot be parsed: adding a
// second, good line would leave the first one (maybe uid 0) in force, since
// glibc resolves a name to its first line.
func (d *db) checkMalformed(name string) error {
	for _, t := range []*table{d.passwd, d.group, d.shadow, d.gshadow} {
		if t == nil {
			continue
		}
		for i, l := range t.lines {
			if !strings.HasPrefix(l, name+":") {
				continue
			}
			f := t.fields[i]
			switch {
			case f == nil:
				return fmt.Errorf("%s:%d: the entry for %s has %d fields, not %d; fix or remove that line", t.name, i+1, name, strings.Count(l, ":")+1, t.nfields)
			case t == d.passwd && (!isID(f[2]) || !isID(f[3])):
				return fmt.Errorf("%s:%d: the entry for %s has a uid or gid that is not a number; fix or remove that line", t.name, i+1, name)
			case t == d.group && !isID(f[2]):
				return fmt.Errorf("%s:%d: the entry for %s has a gid that is not a number; fix or remove that line", t.name, i+1, name)
			}
		}
	}
	return nil
}

func isID(s string) bool { _, err := atoiID(s); return err == nil }

// homeOwner returns the owner of an existing /home/NAME directory.
func homeOwner(root, name string) (int, bool) {
	fi, err := os.Lstat(filepath.Join(root, "/home", name))
	if err != nil || !fi.IsDir() {
		return 0, false
	}
	return int(fi.Sys().(*syscall.Stat_t).Uid), true
}
