package units

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBootSkip_CronWhileBoxinitRunsItAndTheMainCommandsDaemon(t *testing.T) {
	l := debianLoader(t)
	// A merged-/usr image: /sbin is a link to usr/sbin, and the daemon is there.
	require.NoError(t, os.MkdirAll(filepath.Join(l.Root, "usr/sbin"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(l.Root, "usr/sbin/sshd"), []byte("#!/bin/sh\n"), 0o755))
	require.NoError(t, os.Symlink("usr/sbin", filepath.Join(l.Root, "sbin")))
	plan, err := l.Boot(BootOptions{Skip: BootSkip(l.Root, "/sbin/sshd", true)})
	require.NoError(t, err)
	assert.Contains(t, plan.Skipped, Skip{Name: "cron.service", By: "multi-user.target", Reason: "boxinit runs cron itself"})
	assert.Contains(t, plan.Skipped, Skip{Name: "ssh.service", By: "multi-user.target", Reason: "the main command runs /usr/sbin/sshd"})
	assert.NotNil(t, plan.Job("nginx.service"))

	plan, err = l.Boot(BootOptions{Skip: BootSkip(l.Root, "", false)})
	require.NoError(t, err)
	assert.NotNil(t, plan.Job("ssh.service"), "with no command, sshd runs from ssh.service")
	assert.NotNil(t, plan.Job("cron.service"), "without boxinit's cron, Debian's cron runs")
}
