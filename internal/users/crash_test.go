package users

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) {
	if len(os.Args) == 3 && os.Args[1] == "ensure-account-loop" {
		ensureAccountLoop(os.Args[2]) // never returns
	}
	os.Exit(m.Run())
}

// ensureAccountLoop rewrites /etc/passwd (and its backup) under root
// forever by switching the shell back and forth, until it is killed.
func ensureAccountLoop(root string) {
	a := human
	for i := 0; ; i++ {
		a.Shell = []string{"/bin/bash", "/bin/sh"}[i%2]
		if _, err := EnsureAccount(root, a, discard); err != nil {
			os.Exit(1)
		}
	}
}

// A kill -9 at any moment leaves every account file either old or new.
func TestEnsureAccount_AKillAtAnyMomentLeavesEachFileOldOrNewNeverTorn(t *testing.T) {
	root := seedRoot(t, "debian")
	a := human
	_, err := EnsureAccount(root, a, discard)
	require.NoError(t, err)
	withBash := read(t, root, "/etc/passwd")
	fixed := map[string]string{}
	for _, f := range []string{"/etc/group", "/etc/shadow", "/etc/gshadow"} {
		fixed[f] = read(t, root, f)
	}
	a.Shell = "/bin/sh"
	_, err = EnsureAccount(root, a, discard)
	require.NoError(t, err)
	withSh := read(t, root, "/etc/passwd")
	require.NotEqual(t, withBash, withSh)

	for i := 0; i < 40; i++ {
		cmd := exec.Command(os.Args[0], "ensure-account-loop", root)
		require.NoError(t, cmd.Start())
		time.Sleep(time.Duration(5+rand.IntN(40)) * time.Millisecond)
		require.NoError(t, cmd.Process.Kill())
		_ = cmd.Wait()

		for _, f := range []string{"/etc/passwd", "/etc/passwd-"} {
			assert.Contains(t, []string{withBash, withSh}, read(t, root, f), "%s after kill %d", f, i)
		}
		for f, want := range fixed {
			assert.Equal(t, want, read(t, root, f), "%s after kill %d", f, i)
		}
	}
	_, err = EnsureAccount(root, human, discard)
	require.NoError(t, err)
	stale, _ := filepath.Glob(filepath.Join(root, "etc", ".*.boxinit-*"))
	assert.Empty(t, stale, "temporary files of killed runs are cleaned up")
}
