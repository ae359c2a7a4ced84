package testutil

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Opening a test's directory to other users opens the directories below
// the temporary directory and leaves that one (/tmp, 1777) as it was.
func TestOpenToOthers_OpensTheTestsDirectoriesButNotTheTemporaryDirectory(t *testing.T) {
	tmp, err := os.Stat(os.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.Chmod(os.TempDir(), tmp.Mode()) }) // should it have changed
	dir := filepath.Join(t.TempDir(), "a", "b")
	require.NoError(t, os.MkdirAll(dir, 0o700))

	OpenToOthers(t, dir)

	for d := dir; d != filepath.Clean(os.TempDir()); d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o755), fi.Mode().Perm(), d)
	}
	after, err := os.Stat(os.TempDir())
	require.NoError(t, err)
	assert.Equal(t, tmp.Mode(), after.Mode(), "the temporary directory keeps its mode")
}
