// Package sysfile replaces system files so that a crash at any moment leaves
// either the old or the new content, never a torn file: write a temporary
// file in the same directory, fsync it, give it the old file's owner and
// mode, rename it over the old one, fsync the directory.
//
// Files that the container runtime bind-mounts (/etc/hosts, /etc/hostname,
// /etc/resolv.conf) cannot be renamed over (EBUSY); [Replace] rewrites those
// in place instead, the one case where a torn file is possible.
package sysfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// Options tune [Replace].
type Options struct {
	// Mode, UID and GID are used when the file does not exist yet; an
	// existing file keeps its own.
	Mode     fs.FileMode
	UID, GID int
	// Backup keeps the previous content as "<path>-", as shadow-utils does.
	Backup bool
}

// Replace atomically sets the content of path to data. It writes nothing
// and returns false when the file already has that content.
func Replace(path string, data []byte, o Options) (changed bool, err error) {
	RemoveStaleTemps(path)
	old, err := os.ReadFile(path)
	switch {
	case err == nil && bytes.Equal(old, data):
		return false, nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return false, err
	}
	mode, uid, gid := o.Mode, o.UID, o.GID
	if fi, err := os.Lstat(path); err == nil {
		st := fi.Sys().(*syscall.Stat_t)
		mode, uid, gid = fi.Mode().Perm(), int(st.Uid), int(st.Gid)
		if o.Backup {
			if err := writeTemp(path+"-", old, mode, uid, gid); err != nil {
				return false, fmt.Errorf("back up %s: %w", path, err)
			}
		}
	}
	err = writeTemp(path, data, mode, uid, gid)
	if errors.Is(err, unix.EBUSY) {
		return true, rewriteInPlace(path, data)
	}
	return err == nil, err
}

// writeTemp writes data to a temporary file beside path and renames it over
// path. The temporary name starts with '.' (sudo and run-parts skip those).
func writeTemp(path string, data []byte, mode fs.FileMode, uid, gid int) (err error) {
	dir, base := filepath.Split(path)
	f, err := os.CreateTemp(dir, "."+base+".boxinit-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = f.Chmod(mode); err != nil {
		return err
	}
	if err = f.Chown(uid, gid); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}

// RemoveStaleTemps deletes the temporary files that a writer killed between
// create and rename left beside path or its backup. Only call it where
// no other writer of path can be at work (Replace does, under the lock its
// caller holds for that file).
func RemoveStaleTemps(path string) {
	dir, base := filepath.Split(path)
	for _, b := range []string{base, base + "-"} {
		stale, _ := filepath.Glob(filepath.Join(dir, "."+b+".boxinit-*"))
		for _, f := range stale {
			_ = os.Remove(f)
		}
	}
}

func syncDir(dir string) error {
	if dir == "" {
		dir = "."
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// rewriteInPlace is for bind-mounted files: truncate and write the same
// inode.
func rewriteInPlace(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		f.Close()
		return err
	}
	if err := f.Truncate(int64(len(data))); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
