package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cronImage is the Debian image with Debian's cron package installed (for
// crontab(1) and the spool it sets up: /var/spool/cron/crontabs root:crontab
// 1730, crontab setgid crontab). Its daemon is never started: boxinit runs
// the jobs. Skips when the package cannot be installed (no mirror).
func cronImage(t *testing.T) string {
	return aptImage(t, "boxinit-debian-cron", []string{"cron"}, "")
}

// addJob is the EDITOR crontab(1) runs on its temporary copy: it adds one
// line, as a user would.
const addJob = `#!/bin/sh
sleep 1 # crontab(1) sees no change within the second it started the editor
echo '* * * * * echo "$(id -un) $SHELL $LOGNAME $HOME" > /tmp/crontab-e-ran' >> "$1"
`

// On a VM a user runs `crontab -e`. Here the admin user does it in a
// boxinit container with Debian's crontab(1) (EDITOR a script that adds a
// line), and boxinit runs the new line as that user within two minutes,
// shown in boxinit status with its owner.
func TestImage_CrontabEAsTheAdminUserRunsTheJobAsThatUser(t *testing.T) {
	img := cronImage(t)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "rc.env"), []byte("DEFAULT_USER=human\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "add-job"), []byte(addJob), 0o755))
	name := "boxinit-e2e-crontab-" + tag
	removeWhenDone(t, name)
	out, err := podman(t, "run", "-d", "--name", name, "-v", filepath.Join(dir, "rc.env")+":/etc/rc.env:ro",
		"-v", filepath.Join(dir, "add-job")+":/usr/local/bin/add-job:ro", img, "sleep", "infinity")
	require.NoError(t, err, out)
	waitReady(t, name)

	out, err = podman(t, "exec", "-u", "human", "-e", "EDITOR=/usr/local/bin/add-job", name, "crontab", "-e")
	require.NoError(t, err, "crontab -e as human: %s", out)
	out, err = podman(t, "exec", name, "stat", "-c", "%U %G %a", "/var/spool/cron/crontabs/human")
	require.NoError(t, err, out)
	assert.Equal(t, "human crontab 600", strings.TrimSpace(out), "as Debian's crontab(1) writes it")
	out, err = podman(t, "exec", "-u", "human", name, "crontab", "-l")
	require.NoError(t, err, out)
	assert.Contains(t, out, "/tmp/crontab-e-ran")

	var ran string
	require.Eventually(t, func() bool {
		ran, _ = podman(t, "exec", name, "cat", "/tmp/crontab-e-ran")
		return strings.HasPrefix(ran, "human ")
	}, 150*time.Second, time.Second, "the line crontab -e added never ran")
	assert.Equal(t, "human /bin/sh human /home/human", strings.TrimSpace(ran))
	status, err := podman(t, "exec", name, "boxinit", "status", "--json")
	require.NoError(t, err, status)
	assert.Regexp(t, `"job": "/var/spool/cron/crontabs/human:\d+",\s+"schedule": "\* \* \* \* \*",\s+"user": "human"`, status)
}
