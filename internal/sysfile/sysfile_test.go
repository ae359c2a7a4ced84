package sysfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReplace_KeepsOwnerAndModeAndTheOldContentAsBackup(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shadow")
	require.NoError(t, os.WriteFile(path, []byte("old\n"), 0o640))
	if os.Geteuid() == 0 {
		require.NoError(t, os.Chown(path, 0, 42))
	}
	changed, err := Replace(path, []byte("new\n"), Options{Mode: 0o644, Backup: true})
	require.NoError(t, err)
	assert.True(t, changed)
	b, _ := os.ReadFile(path)
	assert.Equal(t, "new\n", string(b))
	b, _ = os.ReadFile(path + "-")
	assert.Equal(t, "old\n", string(b))
	for _, p := range []string{path, path + "-"} {
		fi, err := os.Stat(p)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o640), fi.Mode().Perm(), p)
		if os.Geteuid() == 0 {
			assert.Equal(t, uint32(42), fi.Sys().(*syscall.Stat_t).Gid, p)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	assert.Len(t, entries, 2, "no temporary file left")
}

func TestReplace_WritesNothingWhenTheContentIsTheSame(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hosts")
	require.NoError(t, os.WriteFile(path, []byte("same\n"), 0o644))
	old := time.Now().Add(-time.Hour)
	require.NoError(t, os.Chtimes(path, old, old))
	changed, err := Replace(path, []byte("same\n"), Options{Backup: true})
	require.NoError(t, err)
	assert.False(t, changed)
	fi, _ := os.Stat(path)
	assert.Equal(t, old.Unix(), fi.ModTime().Unix())
	assert.NoFileExists(t, path+"-")
}

func TestReplace_CreatesAMissingFileWithTheGivenMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sudoers-rule")
	changed, err := Replace(path, []byte("x\n"), Options{Mode: 0o440, Backup: true})
	require.NoError(t, err)
	assert.True(t, changed)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o440), fi.Mode().Perm())
	assert.NoFileExists(t, path+"-", "nothing to back up")
}

// A run killed between backup and replace leaves "<path>-" as a second
// link to the current file; the next backup must not leave its temporary
// link behind (rename between two links of one inode does nothing).
func TestReplace_BacksUpCleanlyWhenTheBackupIsAlreadyTheSameInode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "passwd")
	require.NoError(t, os.WriteFile(path, []byte("old\n"), 0o644))
	require.NoError(t, os.Link(path, path+"-"))
	_, err := Replace(path, []byte("new\n"), Options{Backup: true})
	require.NoError(t, err)
	entries, _ := os.ReadDir(dir)
	assert.Len(t, entries, 2, "only passwd and passwd-")
	b, _ := os.ReadFile(path + "-")
	assert.Equal(t, "old\n", string(b))
}

func TestReplace_FollowsASymlinkAndKeepsTheTargetsModeAndTheLink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "shadow.real")
	require.NoError(t, os.WriteFile(real, []byte("old\n"), 0o640))
	link := filepath.Join(dir, "shadow")
	require.NoError(t, os.Symlink("shadow.real", link))

	changed, err := Replace(link, []byte("new\n"), Options{Mode: 0o644, Backup: true})
	require.NoError(t, err)
	assert.True(t, changed)
	fi, err := os.Lstat(link)
	require.NoError(t, err)
	assert.Equal(t, os.ModeSymlink, fi.Mode()&os.ModeSymlink, "the link stays a link")
	b, _ := os.ReadFile(real)
	assert.Equal(t, "new\n", string(b))
	fi, err = os.Stat(real)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), fi.Mode().Perm(), "never a wider mode than the target had")
	b, _ = os.ReadFile(real + "-")
	assert.Equal(t, "old\n", string(b), "the backup is the target's")
}

func TestReplace_RefusesADanglingSymlinkAndCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "ssh_host_ed25519_key")
	require.NoError(t, os.Symlink(filepath.Join(dir, "volume/key"), link))
	_, err := Replace(link, []byte("secret\n"), Options{Mode: 0o600})
	require.Error(t, err)
	assert.Contains(t, err.Error(), link+" is a symlink to "+filepath.Join(dir, "volume/key")+", which does not exist")
	entries, _ := os.ReadDir(dir)
	assert.Len(t, entries, 1, "nothing created")
}

// The account files' writer clears its own leftovers while the hostname
// step may be writing /etc/hosts in the same directory: a temporary file of
// another file is left alone, and so is everything that is not a temporary.
func TestRemoveStaleTemps_WithNamesRemovesOnlyTheTemporariesOfThoseFiles(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{".passwd.boxinit-0a1b2c", ".passwd-.boxinit-3d4e5f", ".hosts.boxinit-6a7b8c", "passwd", ".hidden", ".shadow.dpkg-new", ".boxinit-x"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), nil, 0o600))
	}
	RemoveStaleTemps(dir, "passwd", "passwd-", "shadow")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{"passwd", ".hidden", ".shadow.dpkg-new", ".hosts.boxinit-6a7b8c", ".boxinit-x"}, names)

	RemoveStaleTemps(dir) // boot, before its steps: every temporary
	_, err = os.Stat(filepath.Join(dir, ".hosts.boxinit-6a7b8c"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}
