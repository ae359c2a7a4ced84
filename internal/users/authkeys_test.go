package users

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/boxinit/boxinit/internal/testutil"
)

// rootWithHuman is a Debian root where the account and its home exist.
func rootWithHuman(t *testing.T) (root, home string) {
	testutil.RequireRoot(t)
	root = seedRoot(t, "debian")
	_, err := EnsureAccount(root, human, discard)
	require.NoError(t, err)
	return root, filepath.Join(root, "home/human")
}

func TestSyncAuthorizedKeys_WritesTheFileForTheUserOnly(t *testing.T) {
	root, home := rootWithHuman(t)
	k := newKey(t, "k")
	keys, _ := ParseKeys(SourceLiteral, k)
	changed, err := SyncAuthorizedKeys(root, human, []KeySet{{Source: SourceLiteral, Keys: keys}})
	require.NoError(t, err)
	assert.True(t, changed)
	assert.Equal(t, k+" # boxinit DEFAULT_KEY\n", read(t, home, ".ssh/authorized_keys"))
	for path, mode := range map[string]os.FileMode{".ssh": 0o700, ".ssh/authorized_keys": 0o600} {
		fi, err := os.Lstat(filepath.Join(home, path))
		require.NoError(t, err)
		assert.Equal(t, mode, fi.Mode().Perm(), path)
		assert.Equal(t, uint32(1000), fi.Sys().(*syscall.Stat_t).Uid, path)
	}
	changed, err = SyncAuthorizedKeys(root, human, []KeySet{{Source: SourceLiteral, Keys: keys}})
	require.NoError(t, err)
	assert.False(t, changed)
	entries, _ := os.ReadDir(filepath.Join(home, ".ssh"))
	assert.Len(t, entries, 1, "no temporary file left behind")
}

func TestSyncAuthorizedKeys_NeverFollowsALinkTheUserPlanted(t *testing.T) {
	k := newKey(t, "k")
	keys, _ := ParseKeys(SourceLiteral, k)
	for _, tc := range []struct {
		name  string
		plant func(t *testing.T, home, secret string)
		msg   string
	}{
		{".ssh is a symlink to root's", func(t *testing.T, home, secret string) {
			require.NoError(t, os.Symlink(filepath.Dir(secret), filepath.Join(home, ".ssh")))
		}, "refusing to follow it"},
		{"authorized_keys is a symlink to a secret", func(t *testing.T, home, secret string) {
			require.NoError(t, os.Mkdir(filepath.Join(home, ".ssh"), 0o700))
			require.NoError(t, os.Symlink(secret, filepath.Join(home, ".ssh/authorized_keys")))
		}, "refusing to follow it"},
		{"authorized_keys is a hard link to a secret", func(t *testing.T, home, secret string) {
			require.NoError(t, os.Mkdir(filepath.Join(home, ".ssh"), 0o700))
			require.NoError(t, os.Link(secret, filepath.Join(home, ".ssh/authorized_keys")))
		}, "hard links; refusing to read it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, home := rootWithHuman(t)
			// The secret: a root-owned file beside the root tree, like /etc/shadow.
			secretDir := t.TempDir()
			secret := filepath.Join(secretDir, "authorized_keys")
			require.NoError(t, os.WriteFile(secret, []byte("root:$6$secret:19800:0:99999:7:::\n"), 0o600))
			tc.plant(t, home, secret)

			_, err := SyncAuthorizedKeys(root, human, []KeySet{{Source: SourceLiteral, Keys: keys}})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.msg)
			assert.Equal(t, "root:$6$secret:19800:0:99999:7:::\n", read(t, secret, ""), "the secret is untouched")
			fi, err := os.Stat(secret)
			require.NoError(t, err)
			assert.Equal(t, uint32(0), fi.Sys().(*syscall.Stat_t).Uid, "the secret was not chowned")
			assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
			assert.NoFileExists(t, filepath.Join(secretDir, "..authorized_keys"), "nothing written beside it")
			entries, _ := os.ReadDir(secretDir)
			assert.Len(t, entries, 1, "nothing written beside the secret")
		})
	}
}

// The race of a user with fs.protected_hardlinks=0: between boxinit's check
// of an unchanged authorized_keys and its chown, the name is swapped for a
// hard link to /etc/shadow. The chown must still reach the file that was
// checked, never the shadow file.
func TestSyncAuthorizedKeys_AHardLinkSwappedInAfterTheCheckIsNeverChowned(t *testing.T) {
	root, home := rootWithHuman(t)
	keys, _ := ParseKeys(SourceLiteral, newKey(t, "k"))
	sets := []KeySet{{Source: SourceLiteral, Keys: keys}}
	_, err := SyncAuthorizedKeys(root, human, sets)
	require.NoError(t, err)

	shadow := filepath.Join(root, "etc/shadow") // same file system as the home
	before, err := os.Stat(shadow)
	require.NoError(t, err)
	ak := filepath.Join(home, ".ssh/authorized_keys")
	afterRead = func() {
		require.NoError(t, os.Remove(ak))
		require.NoError(t, os.Link(shadow, ak))
	}
	t.Cleanup(func() { afterRead = func() {} })

	changed, err := SyncAuthorizedKeys(root, human, sets)
	require.NoError(t, err)
	assert.False(t, changed)
	after, err := os.Stat(shadow)
	require.NoError(t, err)
	assert.Equal(t, uint32(0), after.Sys().(*syscall.Stat_t).Uid, "/etc/shadow stays root's")
	assert.Equal(t, before.Mode(), after.Mode(), "/etc/shadow keeps its mode")
}

// While /etc/skel is copied, the user must not be able to enter the new
// home (to plant a link where root is about to write or chown): it stays
// root's and 0700 until it is handed over whole.
func TestEnsureAccount_TheNewHomeIsTheUsersOnlyOnceTheSkeletonIsIn(t *testing.T) {
	testutil.RequireRoot(t)
	root := seedRoot(t, "debian")
	home := filepath.Join(root, "home/human")
	seen := 0
	skelEntry = func(string) {
		seen++
		fi, err := os.Lstat(home)
		require.NoError(t, err)
		assert.Equal(t, uint32(0), fi.Sys().(*syscall.Stat_t).Uid, "root's during the copy")
		assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm(), "closed during the copy")
	}
	t.Cleanup(func() { skelEntry = func(string) {} })
	_, err := EnsureAccount(root, human, discard)
	require.NoError(t, err)
	require.NotZero(t, seen, "the Debian skeleton has files")
	fi, err := os.Lstat(home)
	require.NoError(t, err)
	assert.Equal(t, uint32(1000), fi.Sys().(*syscall.Stat_t).Uid)
	assert.Equal(t, os.FileMode(0o755), fi.Mode().Perm())
}
