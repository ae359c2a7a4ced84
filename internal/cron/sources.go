package cron

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/boxinit/boxinit/internal/users"
)

// Finding the crontabs and reading them again when they change.
//
// Every change of a file (its content, owner, mode, or what a symlink
// points to) and every change of /etc/passwd re-reads it: its good lines
// run from the next minute, its bad lines are reported, the same rule as
// at the first load. A file that fails the owner and mode checks of
// safety.go is refused as a whole and reported once per change.

// runPartsName is what Debian's cron accepts in /etc/cron.d (run-parts):
// anything else, such as foo.dpkg-old, .placeholder or foo~, is skipped.
var runPartsName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]+$`) })

// maxCrontab is the largest crontab read; a bigger one is refused.
const maxCrontab = 1 << 20

type source struct {
	sig     string // see signature: a change means re-read
	user    string // the owner of a user crontab; "" for a system one
	jobs    []*job
	errs    []LineError
	refused bool
	mailTo  bool
}

// crontab is one file to read: a system crontab or USER's spool file.
type crontab struct {
	path string // inside Root
	user string
}

// crontabFiles lists the crontabs: system files as given, the run-parts
// names of system directories in lexical order, then every spool file.
func (s *Scheduler) crontabFiles() []crontab {
	var out []crontab
	for _, src := range s.o.Sources {
		fi, err := os.Stat(filepath.Join(s.o.Root, src))
		if err != nil {
			continue // a missing crontab is no error: a container may have none
		}
		if !fi.IsDir() {
			out = append(out, crontab{path: src})
			continue
		}
		entries, _ := os.ReadDir(filepath.Join(s.o.Root, src))
		for _, e := range entries {
			if runPartsName().MatchString(e.Name()) && !e.IsDir() {
				out = append(out, crontab{path: filepath.Join(src, e.Name())})
			}
		}
	}
	for _, dir := range s.o.Spools {
		entries, _ := os.ReadDir(filepath.Join(s.o.Root, dir))
		for _, e := range entries {
			name := e.Name()
			// crontab(1) edits in tmp.PID (Debian) or #tmp… files; dot files
			// and backups are no one's crontab.
			if e.IsDir() || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "tmp.") ||
				strings.HasPrefix(name, "#") || strings.HasSuffix(name, "~") {
				continue
			}
			out = append(out, crontab{path: filepath.Join(dir, name), user: name})
		}
	}
	return out
}

// signature sums up what decides how a file is read: size, mtime, inode,
// mode and owner of the path and of what it points to.
func signature(path string) string {
	var sig strings.Builder
	for _, stat := range []func(string) (os.FileInfo, error){os.Lstat, os.Stat} {
		fi, err := stat(path)
		if err != nil {
			sig.WriteString("-|")
			continue
		}
		ino, uid := fileIDs(fi)
		fmt.Fprintf(&sig, "%d/%d/%d/%o/%d|", fi.Size(), fi.ModTime().UnixNano(), ino, fi.Mode(), uid)
	}
	return sig.String()
}

// event is a log line decided under the lock and written after it.
type event struct {
	warn bool
	msg  string
	args []any
}

// reload re-reads the crontabs that changed. Files are read and parsed
// without the lock; the new jobs are swapped in under it.
func (s *Scheduler) reload(first bool) {
	passwdSig := signature(filepath.Join(s.o.Root, "/etc/passwd"))
	files := s.crontabFiles()
	s.mu.Lock()
	old := make(map[string]string, len(s.files))
	for p, src := range s.files {
		old[p] = src.sig
	}
	s.mu.Unlock()

	var pw map[string]users.Passwd
	read := map[string]*source{}
	for _, f := range files {
		sig := signature(filepath.Join(s.o.Root, f.path)) + passwdSig
		if have, ok := old[f.path]; ok && have == sig {
			continue
		}
		if pw == nil {
			pw = passwdByName(s.o.Root)
		}
		src := s.read(f, pw)
		src.sig = sig
		read[f.path] = src
	}

	var events []event
	s.mu.Lock()
	seen := map[string]bool{}
	for _, f := range files {
		seen[f.path] = true
		src, changed := read[f.path]
		if !changed {
			continue
		}
		prev := s.files[f.path]
		for i, j := range src.jobs {
			src.jobs[i] = carryOver(prev, j.Entry)
		}
		s.files[f.path] = src
		switch {
		case src.refused:
			events = append(events, event{true, "crontab refused", []any{"file", f.path, "err", src.errs[0].Err}})
		case !first:
			events = append(events, event{false, "crontab reloaded", []any{"file", f.path, "jobs", len(src.jobs), "errors", len(src.errs)}})
		}
		if !src.refused {
			for _, le := range src.errs {
				events = append(events, event{true, "crontab line skipped", []any{"job", le.File + ":" + fmt.Sprint(le.Line), "err", le.Err}})
			}
		}
		if src.mailTo {
			s.mailOnce.Do(func() {
				events = append(events, event{false, "MAILTO is exported to the jobs, but no mail is sent: job output goes to this log", []any{"file", f.path}})
			})
		}
	}
	for path := range s.files {
		if !seen[path] {
			delete(s.files, path)
			events = append(events, event{false, "crontab removed", []any{"file", path}})
		}
	}
	s.mu.Unlock()
	s.logAll(events)
}

// read checks and parses one crontab; its jobs are not yet carried over.
func (s *Scheduler) read(f crontab, pw map[string]users.Passwd) *source {
	src := &source{user: f.user}
	refuse := func(err error) *source {
		src.refused, src.errs = true, []LineError{{File: f.path, Err: err}}
		return src
	}
	real := filepath.Join(s.o.Root, f.path)
	var file *os.File
	var err error
	if f.user == "" {
		file, err = openSystemCrontab(real)
	} else {
		p, ok := pw[f.user]
		if !ok {
			return refuse(fmt.Errorf("refused: no user %q in /etc/passwd for this crontab", f.user))
		}
		file, err = openUserCrontab(real, p.UID, f.user)
	}
	if err != nil {
		return refuse(err)
	}
	defer file.Close()
	body, err := io.ReadAll(io.LimitReader(file, maxCrontab+1))
	switch {
	case err != nil:
		return refuse(fmt.Errorf("read: %w", err))
	case len(body) > maxCrontab:
		return refuse(errors.New("refused: larger than 1 MiB"))
	}
	var ct *Crontab
	if f.user == "" {
		ct = Parse(f.path, strings.NewReader(string(body)), s.o.Zone, func(u string) bool { _, ok := pw[u]; return ok })
	} else {
		ct = ParseUser(f.path, strings.NewReader(string(body)), s.o.Zone, f.user)
	}
	src.errs, src.mailTo = ct.Errors, ct.MailTo
	for _, e := range ct.Entries {
		src.jobs = append(src.jobs, &job{Entry: e})
	}
	return src
}

// carryOver keeps the run state of an unchanged line across a reload, so
// that a run in progress still blocks an overlapping one. Called with s.mu
// held.
func carryOver(old *source, e *Entry) *job {
	if old != nil {
		for _, j := range old.jobs {
			if j.Line == e.Line && j.Spec == e.Spec && j.Command == e.Command && j.User == e.User {
				j.Entry = e
				return j
			}
		}
	}
	return &job{Entry: e}
}

func passwdByName(root string) map[string]users.Passwd {
	out := map[string]users.Passwd{}
	f, err := os.Open(filepath.Join(root, "/etc/passwd"))
	if err != nil {
		return out
	}
	defer f.Close()
	pw, _ := users.ParsePasswd(f)
	for _, p := range pw {
		out[p.Name] = p
	}
	return out
}
