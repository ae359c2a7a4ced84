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
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
	// NoDirSync leaves the fsync of the directory to the caller (SyncDir),
	// who replaces several files in it: the renames are atomic either way.
	NoDirSync bool
}

// Replace atomically sets the content of path to data. It writes nothing
// and returns false when the file already has that content.
//
// A path that is a symlink (/etc/shadow -> shadow.real, a host key linked
// to a volume) is followed, as shadow-utils does: the link stays and its
// target is replaced, keeping the target's mode and owner. A dangling link
// is an error; Replace never creates a file at the far end of a link. Only
// root can put a link into the system directories Replace is used on.
func Replace(path string, data []byte, o Options) (changed bool, err error) {
	if path, err = followLink(path); err != nil {
		return false, err
	}
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
			if err := backup(path, old, mode, uid, gid); err != nil {
				return false, fmt.Errorf("back up %s: %w", path, err)
			}
		}
	}
	err = writeTemp(path, data, mode, uid, gid)
	if errors.Is(err, unix.EBUSY) {
		return true, rewriteInPlace(path, data)
	}
	if err == nil && !o.NoDirSync {
		err = SyncDir(filepath.Dir(path))
	}
	return err == nil, err
}

// followLink returns the file that path names after following symlinks,
// or path itself when it is not a link or does not exist.
func followLink(path string) (string, error) {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return path, nil
	}
	target, err := filepath.EvalSymlinks(path)
	if errors.Is(err, fs.ErrNotExist) {
		dest, _ := os.Readlink(path)
		return "", fmt.Errorf("%s is a symlink to %s, which does not exist; refusing to create a file through it", path, dest)
	}
	if err != nil {
		return "", fmt.Errorf("follow symlink %s: %w", path, err)
	}
	return target, nil
}

// backup makes "<path>-" the current file: a second hard link to the old
// inode, which is already on disk and which the rename of the new file
// leaves to the backup alone. Where links are not allowed it copies.
func backup(path string, old []byte, mode fs.FileMode, uid, gid int) error {
	tmp := tempName(path + "-")
	if err := os.Link(path, tmp); err == nil {
		err := os.Rename(tmp, path+"-")
		// When "<path>-" already is this inode (a run killed between backup
		// and replace), rename does nothing and leaves tmp behind.
		_ = os.Remove(tmp)
		return err
	}
	return writeTemp(path+"-", old, mode, uid, gid)
}

// tempName is a fresh name beside path that starts with '.' (sudo and
// run-parts skip those) and that RemoveStaleTemps recognises.
func tempName(path string) string {
	dir, base := filepath.Split(path)
	var r [6]byte
	_, _ = rand.Read(r[:])
	return filepath.Join(dir, "."+base+".boxinit-"+hex.EncodeToString(r[:]))
}

// writeTemp writes data to a temporary file beside path, fsyncs it and
// renames it over path.
func writeTemp(path string, data []byte, mode fs.FileMode, uid, gid int) (err error) {
	tmp := tempName(path)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
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
	return os.Rename(tmp, path)
}

// RemoveStaleTemps deletes the temporary files that writers killed between
// create and rename left in dir: all of them, or only those of the files
// named (base names) when names are given. Call it only where no other
// boxinit writes those files in dir (boot does, for all, before its steps;
// the account files' writer, for its own, under their lock: the hostname
// step may be writing /etc/hosts beside them).
func RemoveStaleTemps(dir string, names ...string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		n := e.Name()
		base, _, isTemp := strings.Cut(n, ".boxinit-")
		if !strings.HasPrefix(n, ".") || !isTemp {
			continue
		}
		if len(names) > 0 && (base == "" || !slices.Contains(names, base[1:])) {
			continue
		}
		_ = os.Remove(filepath.Join(dir, n))
	}
}

// SyncDir makes the renames in dir durable.
func SyncDir(dir string) error {
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

// CopyFile copies src to a new file dst (it must not exist) with mode,
// owned by uid:gid (-1 keeps the creator's).
func CopyFile(src, dst string, mode fs.FileMode, uid, gid int) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Chown(uid, gid)
	}
	if err == nil {
		err = out.Chmod(mode)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
