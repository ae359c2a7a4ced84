package main

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/boxinit/boxinit/internal/testutil"
)

func linkRoot(t *testing.T) string {
	root := t.TempDir()
	require.NoError(t, os.Chmod(root, 0o755))
	for _, d := range []string{"usr/local/sbin", "usr/bin", "bin"} {
		require.NoError(t, os.MkdirAll(filepath.Join(root, d), 0o755))
	}
	return root
}

func TestLinkTools_GivesAnImageWithoutSystemdBoxinitsSystemctlAndJournalctlInUsrLocalSbin(t *testing.T) {
	testutil.RequireRoot(t) // the directories must be root's
	var log bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&log, nil))

	root := linkRoot(t)
	linkTools(root, "/sbin/boxinit", logger)
	for _, tool := range []string{"systemctl", "journalctl"} {
		target, err := os.Readlink(filepath.Join(root, "usr/local/sbin", tool))
		require.NoError(t, err, tool)
		assert.Equal(t, "/sbin/boxinit", target)
	}
	assert.Contains(t, log.String(), "linked /usr/local/sbin/journalctl to boxinit")
	assert.NoFileExists(t, filepath.Join(root, "sbin/init"), "no /sbin directory: nothing made")
	linkTools(root, "/sbin/boxinit", logger) // the next boot: already there
	assert.NotContains(t, log.String(), "level=WARN")

	// the image's own systemctl (systemd's, or a link made at build) stays the one
	root = linkRoot(t)
	require.NoError(t, os.WriteFile(filepath.Join(root, "usr/bin/systemctl"), []byte("#!/bin/sh\n"), 0o755))
	linkTools(root, "/sbin/boxinit", logger)
	assert.NoFileExists(t, filepath.Join(root, "usr/local/sbin/systemctl"))
	assert.FileExists(t, filepath.Join(root, "usr/local/sbin/journalctl"))

	// nothing a non-root user controls decides where root writes
	log.Reset()
	root = linkRoot(t)
	require.NoError(t, os.Chmod(filepath.Join(root, "usr/local/sbin"), 0o777))
	linkTools(root, "/sbin/boxinit", logger)
	assert.NoFileExists(t, filepath.Join(root, "usr/local/sbin/systemctl"))
	assert.Contains(t, log.String(), "usr/local/sbin is writable by others than root")

	root = linkRoot(t)
	require.NoError(t, os.Chown(filepath.Join(root, "usr/local"), 1000, 1000))
	linkTools(root, "/sbin/boxinit", logger)
	assert.NoFileExists(t, filepath.Join(root, "usr/local/sbin/systemctl"))

	root = linkRoot(t)
	elsewhere := t.TempDir()
	require.NoError(t, os.RemoveAll(filepath.Join(root, "usr/local")))
	require.NoError(t, os.Symlink(elsewhere, filepath.Join(root, "usr/local")))
	require.NoError(t, os.MkdirAll(filepath.Join(elsewhere, "sbin"), 0o755))
	linkTools(root, "/sbin/boxinit", logger)
	assert.NoFileExists(t, filepath.Join(elsewhere, "sbin/systemctl"), "a symlinked /usr/local is not followed")
}

func TestLinkTools_GivesAnImageWithoutSbinInitBoxinitAsInitAlsoThroughMergedUsr(t *testing.T) {
	testutil.RequireRoot(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	root := linkRoot(t)
	require.NoError(t, os.MkdirAll(filepath.Join(root, "usr/sbin"), 0o755))
	require.NoError(t, os.Symlink("usr/sbin", filepath.Join(root, "sbin"))) // Debian 12's merged /usr
	linkTools(root, "/sbin/boxinit", logger)
	target, err := os.Readlink(filepath.Join(root, "usr/sbin/init"))
	require.NoError(t, err)
	assert.Equal(t, "/sbin/boxinit", target)

	root = linkRoot(t) // the image's own init stays
	require.NoError(t, os.MkdirAll(filepath.Join(root, "sbin"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "sbin/init"), []byte("#!/bin/sh\n"), 0o755))
	linkTools(root, "/sbin/boxinit", logger)
	b, _ := os.ReadFile(filepath.Join(root, "sbin/init"))
	assert.Equal(t, "#!/bin/sh\n", string(b))

	root = linkRoot(t) // /sbin somewhere a user controls
	elsewhere := t.TempDir()
	require.NoError(t, os.Chmod(elsewhere, 0o777))
	require.NoError(t, os.Symlink(elsewhere, filepath.Join(root, "sbin")))
	linkTools(root, "/sbin/boxinit", logger)
	assert.NoFileExists(t, filepath.Join(elsewhere, "init"))
}

func TestInitLink_CalledAsInitWhileBoxinitIsPID1ItStartsNothing(t *testing.T) {
	link := filepath.Join(t.TempDir(), "init")
	require.NoError(t, os.Symlink(boxinitBin, link))
	// PID 1 of a namespace is this boxinit binary (sleeping), and init is
	// called inside it
	ns := exec.Command("unshare", "--pid", "--fork", "--mount-proc", boxinitBin, "--services=false", "--cron=", "--socket=", "--",
		"sh", "-c", link+" --version; "+link+" 2>&1; echo code=$?")
	out, err := ns.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "(init)")
	assert.Contains(t, string(out), "this system's init is boxinit, running as PID 1")
	assert.Contains(t, string(out), "code=2")

	// where PID 1 is something else, init is boxinit itself
	out, err = exec.Command(link, "version").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.NotContains(t, string(out), "this system's init")
}

func TestSamePID1_OnlyForTheSameFile(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)
	assert.True(t, samePID1(exe, procSelfExe))
	assert.False(t, samePID1(exe, "/bin/sh"))
	assert.False(t, samePID1(exe, "/nonexistent"))
}
