package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/boxinit/boxinit/internal/status"
)

func TestInit_BootRunsInAChildProcessWhoseStepsAndCommandStatusShowsLive(t *testing.T) {
	root := bootTree(t, "DEFAULT_USER=human\n")
	seen := t.TempDir()
	hooks := filepath.Join(root, "etc/boxinit.d")
	require.NoError(t, os.MkdirAll(hooks, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(hooks, "10-slow"),
		[]byte("#!/bin/sh\necho $PPID > "+seen+"/ppid\nenv > "+seen+"/env\nsleep 1.5\n"), 0o755))
	sock := filepath.Join(t.TempDir(), "boxinit.sock")

	p := startInit(t, "--root="+root, "--ready-file=/ready", "--socket="+sock, "--cron=", "--", "sleep", "30")
	var during status.Document
	eventually(t, 10*time.Second, "status shows the hook running", func() bool {
		if _, code := statusCmd(t, sock, "--json"); code != 0 {
			return false
		}
		during = queryJSON(t, sock)
		return during.BootRunning != nil
	})
	assert.Equal(t, status.Booting, during.State)
	assert.Equal(t, "hooks", during.BootRunning.Step)
	assert.Contains(t, during.BootRunning.Command, "10-slow")
	require.Len(t, during.Boot, 4, "hostname, sshd, user and keys are done")
	assert.Equal(t, "user", during.Boot[2].Step)

	eventually(t, 15*time.Second, "ready", func() bool { _, code := statusCmd(t, sock, "--ready"); return code == 0 })
	after := queryJSON(t, sock)
	assert.Nil(t, after.BootRunning)
	require.Len(t, after.Boot, 7)
	assert.Equal(t, "ready", after.Boot[6].Step)
	assert.Equal(t, 1, after.PID, "status comes from PID 1")

	ppid := strings.TrimSpace(readFileT(t, seen+"/ppid"))
	assert.NotEqual(t, "1", ppid, "the hook was started by the boot child, not by PID 1")
	assert.NotContains(t, readFileT(t, seen+"/env"), bootReportEnv, "the child's marker does not reach the hooks")
	assert.NotContains(t, p.out.String(), "became a child subreaper", "the boot child does not pose as a subreaper init")
}

func TestBootArgs_AreTheFlagsLessTheMainCommandWithAnAbsoluteRoot(t *testing.T) {
	for _, tc := range []struct {
		args, command, want []string
	}{
		{[]string{"--cron=", "--", "sleep", "1"}, []string{"sleep", "1"}, []string{"boot", "--cron=", "--root=/r"}},
		{[]string{"sleep", "1"}, []string{"sleep", "1"}, []string{"boot", "--root=/r"}},
		{[]string{"--root=rel", "--", "--", "x"}, []string{"--", "x"}, []string{"boot", "--root=rel", "--root=/r"}},
		{[]string{"--log-level=debug"}, nil, []string{"boot", "--log-level=debug", "--root=/r"}},
	} {
		assert.Equal(t, tc.want, bootArgs(tc.args, tc.command, "/r"), "%q", tc.args)
	}
}
