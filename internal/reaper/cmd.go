package reaper

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Cmd describes a process for [Reaper.Start]. It is a value the caller
// builds (a pure function can build and a table test can check it) and the
// Reaper runs; there is no Wait on it.
type Cmd struct {
	// Args[0] is looked up in the PATH of Env when it has no slash.
	Args []string
	// Env is the whole environment; nil means boxinit's own.
	Env []string
	// Dir is the working directory; empty means boxinit's.
	Dir string
	// Stdin, Stdout and Stderr default to /dev/null. Only these three
	// descriptors are inherited: nothing else boxinit holds leaks.
	Stdin, Stdout, Stderr *os.File
	// Sys carries credentials, process group and terminal settings.
	Sys *syscall.SysProcAttr
}

// DefaultPath is used when the environment has no PATH.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

var (
	// ErrNotFound means the command does not exist (a shell's exit 127).
	ErrNotFound = errors.New("command not found")
	// ErrNotExecutable means the command exists but cannot be executed (126).
	ErrNotExecutable = errors.New("not an executable file")
)

// StartError says which command could not be started and why.
type StartError struct {
	Name string
	Err  error
}

func (e *StartError) Error() string { return fmt.Sprintf("start %s: %v", e.Name, e.Err) }
func (e *StartError) Unwrap() error { return e.Err }

// ExitCode is what a shell exits with when it cannot run the command:
// 127 when it does not exist, 126 for every other failure.
func (e *StartError) ExitCode() int {
	if errors.Is(e.Err, ErrNotFound) || errors.Is(e.Err, fs.ErrNotExist) {
		return 127
	}
	return 126
}

// lookPath finds name as a shell would, in the PATH of env.
func lookPath(name string, env []string) (string, error) {
	if name == "" {
		return "", ErrNotFound
	}
	if strings.Contains(name, "/") {
		return name, checkExecutable(name)
	}
	path, ok := getenv(env, "PATH")
	if !ok {
		path = DefaultPath
	}
	var firstErr error
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		candidate := filepath.Join(dir, name)
		err := checkExecutable(candidate)
		if err == nil {
			return candidate, nil
		}
		if firstErr == nil && !errors.Is(err, ErrNotFound) {
			firstErr = err // found, but not executable: bash says 126 too
		}
	}
	if firstErr != nil {
		return "", firstErr
	}
	return "", ErrNotFound
}

func checkExecutable(path string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return ErrNotFound
	case err != nil:
		return err
	case fi.IsDir():
		return fmt.Errorf("%w: is a directory", ErrNotExecutable)
	case fi.Mode()&0o111 == 0:
		return ErrNotExecutable
	}
	return nil
}

// getenv looks key up in env (nil: the process environment); the last
// assignment wins, as in execve.
func getenv(env []string, key string) (string, bool) {
	if env == nil {
		return os.LookupEnv(key)
	}
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}
