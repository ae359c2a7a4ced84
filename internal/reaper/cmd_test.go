package reaper

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLookPath_FindsCommandsInThePATHOfTheGivenEnvironment(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(a, "tool"), []byte("#!/bin/sh\n"), 0o644)) // not executable
	require.NoError(t, os.WriteFile(filepath.Join(b, "tool"), []byte("#!/bin/sh\n"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(a, "only-plain"), []byte("#!/bin/sh\n"), 0o644))

	got, err := lookPath("tool", []string{"PATH=" + a + ":" + b})
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(b, "tool"), got, "a non-executable match is passed over")

	_, err = lookPath("tool", []string{"PATH=/nonexistent"})
	assert.ErrorIs(t, err, ErrNotFound)

	_, err = lookPath("only-plain", []string{"PATH=" + a})
	assert.ErrorIs(t, err, ErrNotExecutable, "found but not executable is 126, not 127")

	_, err = lookPath("tool", []string{"PATH=" + a, "PATH=" + b})
	assert.NoError(t, err, "the last PATH assignment wins, as in execve")
}

func TestLookPath_UsesTheDefaultPATHWhenTheEnvironmentHasNone(t *testing.T) {
	got, err := lookPath("sh", []string{"HOME=/"})
	require.NoError(t, err)
	assert.Contains(t, []string{"/usr/local/bin/sh", "/usr/bin/sh", "/bin/sh", "/usr/sbin/sh", "/sbin/sh", "/usr/local/sbin/sh"}, got)
}
