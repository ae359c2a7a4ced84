// Package e2e runs the Debian image (make image) with podman or docker
// (engine_test.go picks one as make does: ENGINE, else podman when it is
// installed, else docker), as a user would: rc.env like the old chart's
// ConfigMap, ssh from outside, stop and start. It skips when the engine or
// the image is missing; `make test` builds the image first when the engine
// is installed. The Kubernetes tests need podman kube play: under docker
// they skip.
package e2e

import (
	"cmp"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tag picks the images `make image TAG=...` built (BOXINIT_TAG; dev by default).
var tag = cmp.Or(os.Getenv("BOXINIT_TAG"), "dev")

var image = "localhost/boxinit-debian:" + tag

func requireImage(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("requires root")
	}
	if _, err := exec.LookPath(engine); err != nil {
		t.Skipf("requires %s (make deps)", engine)
	}
	if !imageExists(image) {
		t.Skipf("requires the image %s (make image ENGINE=%s)", image, engine)
	}
}

// aptImage is the Debian image with packages installed by apt from the
// Debian mirror (nothing started at build time: a policy-rc.d says no),
// then the shell commands of more, as root, tagged NAME:tag. It skips the
// test when the packages cannot be installed (no mirror).
func aptImage(t *testing.T, name string, packages []string, more string) string {
	requireImage(t)
	name = "localhost/" + name + ":" + tag
	dir := t.TempDir()
	containerfile := fmt.Sprintf(`FROM %s
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && \
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends %s && \
    rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d
`, image, strings.Join(packages, " "))
	if more != "" {
		containerfile += "RUN " + more + "\n"
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Containerfile"), []byte(containerfile), 0o644))
	if out, err := podman(t, "build", "-q", "--network", "host", "-t", name, dir); err != nil {
		t.Skipf("cannot install %s into %s: %v\n%s", strings.Join(packages, ", "), image, err, out)
	}
	return name
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// container starts the image with rc.env mounted and sshd on port; extra
// are more `run` options.
func container(t *testing.T, rcEnv string, port int, extra ...string) string {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "rc.env"), []byte(rcEnv), 0o644))
	name := fmt.Sprintf("boxinit-e2e-%d", port)
	removeWhenDone(t, name)
	args := append([]string{"run", "-d", "--name", name, "--network", "host",
		"-v", filepath.Join(dir, "rc.env") + ":/etc/rc.env:ro"}, extra...)
	out, err := runEngine(t, append(args, image, "/usr/sbin/sshd", "-D", "-e", "-p", fmt.Sprint(port))...)
	require.NoError(t, err, out)
	return name
}

// removeWhenDone removes a container called name left by an earlier run,
// and the container when the test ends, after logging its output if the
// test failed.
func removeWhenDone(t *testing.T, name string) {
	_, _ = runEngine(t, "rm", "-f", name)
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := runEngine(t, "logs", name)
			t.Logf("container log:\n%s", logs)
		}
		_, _ = runEngine(t, "rm", "-f", "-t", "0", name)
	})
}

func waitReady(t *testing.T, name string) {
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := runEngine(t, "exec", name, "boxinit", "status", "--ready"); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready within a minute", name)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func sshKey(t *testing.T) (priv, pub string) {
	priv = filepath.Join(t.TempDir(), "id")
	out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", priv).CombinedOutput()
	require.NoError(t, err, string(out))
	b, err := os.ReadFile(priv + ".pub")
	require.NoError(t, err)
	return priv, strings.TrimSpace(string(b))
}

func ssh(t *testing.T, key string, port int, command string) (string, error) {
	out, err := exec.Command("ssh", "-p", fmt.Sprint(port), "-i", key, "-o", "BatchMode=yes",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=10",
		"human@127.0.0.1", command).CombinedOutput()
	return string(out), err
}

func TestImage_BootsLogsInStopsAndRestartsWithoutDuplicates(t *testing.T) {
	requireImage(t)
	key, pub := sshKey(t)
	imported, importedPub := sshKey(t)
	var served atomic.Value
	served.Store(importedPub + "\n")
	keys := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/alice.keys" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, served.Load().(string))
	}))
	defer keys.Close()
	cronDir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(cronDir, "whoami"), []byte("@every 1s human id -un > /tmp/cron-user\n"), 0o644))

	port := freePort(t)
	name := container(t, fmt.Sprintf("DEFAULT_USER=\"human\" \nDEFAULT_KEY=\"%s\" \nDEFAULT_KEY_IMPORT=\"gh:alice\" \nSET_HOSTNAME=\"box-1\" \nCUSTOMIZE_CMD=\"\" \n", pub), port,
		"-e", "BOXINIT_GITHUB_URL="+keys.URL, "-v", filepath.Join(cronDir, "whoami")+":/etc/cron.d/whoami:ro")
	waitReady(t, name)

	status, err := runEngine(t, "exec", name, "boxinit", "status")
	require.NoError(t, err, status)
	assert.Contains(t, status, "state: ready since")
	assert.Contains(t, status, "sshd       changed")
	assert.Contains(t, status, "/etc/cron.d/whoami:1")

	var out string
	require.Eventually(t, func() bool { out, err = ssh(t, key, port, "id; sudo -n true && echo SUDO-OK"); return err == nil }, 20*time.Second, 200*time.Millisecond, "ssh: %s", out)
	assert.Contains(t, out, "uid=1000(human) gid=1000(human) groups=1000(human),4(adm)")
	assert.Contains(t, out, "SUDO-OK")
	out, err = ssh(t, imported, port, "echo IMPORTED-OK")
	require.NoError(t, err, "login with the gh: key: %s", out)
	assert.Contains(t, out, "IMPORTED-OK")
	require.Eventually(t, func() bool {
		who, err := runEngine(t, "exec", name, "cat", "/tmp/cron-user")
		return err == nil && strings.TrimSpace(who) == "human"
	}, 10*time.Second, 200*time.Millisecond, "the cron.d job ran as its user")

	// 200 orphaned background processes leave no zombie.
	_, err = runEngine(t, "exec", name, "sh", "-c", "for i in $(seq 200); do (sleep 0.2 &); done")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		ps, err := runEngine(t, "exec", name, "ps", "-eo", "stat=")
		return err == nil && !strings.Contains(ps, "Z") && strings.Count(ps, "\n") < 20
	}, 15*time.Second, 200*time.Millisecond, "orphans reaped")

	_, err = runEngine(t, "exec", name, "sh", "-c", "echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl by-hand' >> /home/human/.ssh/authorized_keys")
	require.NoError(t, err)
	keysBefore, _ := runEngine(t, "exec", name, "sh", "-c", "cat /etc/ssh/ssh_host_*_key.pub")

	start := time.Now()
	out, err = runEngine(t, "stop", "-t", "20", name)
	require.NoError(t, err, out)
	assert.Less(t, time.Since(start), 10*time.Second, "well within the grace period")
	code, _ := runEngine(t, "inspect", name, "--format", "{{.State.ExitCode}}")
	assert.Equal(t, "0", strings.TrimSpace(code), "sshd's status on SIGTERM")
	_, err = runEngine(t, "cp", name+":/ready", filepath.Join(t.TempDir(), "ready"))
	assert.Error(t, err, "/ready is gone after the stop")

	served.Store("") // the key was removed upstream
	out, err = runEngine(t, "start", name)
	require.NoError(t, err, out)
	waitReady(t, name)
	counts, err := runEngine(t, "exec", name, "sh", "-c",
		"grep -c '^human:' /etc/passwd; grep -c '^human:' /etc/group; grep -c 'boxinit DEFAULT_KEY' /home/human/.ssh/authorized_keys; grep -c '127.0.1.1' /etc/hosts; grep -c 'gh:alice' /home/human/.ssh/authorized_keys; grep -c by-hand /home/human/.ssh/authorized_keys")
	assert.Equal(t, "1\n1\n1\n1\n0\n1\n", counts, "passwd, group, literal key, hosts: once each; the removed gh: key gone; the hand-added one kept")
	keysAfter, _ := runEngine(t, "exec", name, "sh", "-c", "cat /etc/ssh/ssh_host_*_key.pub")
	assert.Equal(t, keysBefore, keysAfter, "host keys survive a restart")
}

// The customization of the old chart runs as the user inside the image:
// CUSTOMIZE_REPO cloned with the image's git, CUSTOMIZE_CMD (the old name)
// run in the clone, CUSTOMIZE_COMMAND in the home, then rc.user.
func TestImage_RunsTheCustomizationAndRcUserAsTheUser(t *testing.T) {
	requireImage(t)
	repo := filepath.Join(t.TempDir(), "repo")
	for _, args := range [][]string{
		{"init", "-q", repo},
		{"-C", repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "init"},
	} {
		out, err := exec.Command("git", args...).CombinedOutput()
		require.NoError(t, err, string(out))
	}
	require.NoError(t, filepath.Walk(repo, func(p string, _ os.FileInfo, err error) error {
		if err == nil {
			err = os.Lchown(p, 1000, 1000) // git serves only its owner's repository
		}
		return err
	}))
	rcUser := filepath.Join(t.TempDir(), "rc.user")
	require.NoError(t, os.WriteFile(rcUser, []byte("echo \"rc.user as $(id -un) in $(pwd)\" > /tmp/rc-user\n"), 0o600))

	port := freePort(t)
	name := container(t, `DEFAULT_USER="human" 
CUSTOMIZE_REPO="/srv/repo" 
CUSTOMIZE_CMD="id -un > /tmp/in-clone; git rev-parse --is-inside-work-tree >> /tmp/in-clone" 
CUSTOMIZE_COMMAND="pwd > /tmp/command" 
`, port, "-v", repo+":/srv/repo:ro", "-v", rcUser+":/etc/rc.user:ro")
	waitReady(t, name)
	out, err := runEngine(t, "exec", name, "sh", "-c", "cat /tmp/in-clone /tmp/command /tmp/rc-user")
	require.NoError(t, err, out)
	assert.Equal(t, "human\ntrue\n/home/human\nrc.user as human in /home/human\n", out)
}

func TestImage_SetsTheHostnameOnlyWithCAPSYSADMIN(t *testing.T) {
	requireImage(t)
	for _, tc := range []struct {
		caps []string
		want string
	}{
		{nil, "warning"},
		{[]string{"--cap-add", "SYS_ADMIN"}, "box-1"},
	} {
		args := append([]string{"run", "--rm", "--network", "none", "-e", "SET_HOSTNAME=box-1"}, tc.caps...)
		out, err := runEngine(t, append(args, image, "sh", "-c", "echo HOST=$(hostname); boxinit status 2>/dev/null | grep hostname")...)
		require.NoError(t, err, out)
		if tc.want == "warning" {
			assert.NotContains(t, out, "HOST=box-1", "without CAP_SYS_ADMIN the kernel hostname stays")
			assert.Contains(t, out, "not permitted without CAP_SYS_ADMIN")
		} else {
			assert.Contains(t, out, "HOST=box-1")
		}
	}
}

func TestImage_ABadRcEnvExits78QuicklyNamingTheVariable(t *testing.T) {
	requireImage(t)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "rc.env"), []byte("DEFAULT_USER=\"Bad User\"\n"), 0o644))
	start := time.Now()
	out, err := runEngine(t, "run", "--rm", "-v", filepath.Join(dir, "rc.env")+":/etc/rc.env:ro", image)
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, out)
	assert.Equal(t, 78, ee.ExitCode())
	assert.Less(t, time.Since(start), 30*time.Second)
	assert.Contains(t, out, `/etc/rc.env:1: DEFAULT_USER \"Bad User\": must match`)
}

// The minimal image has busybox only: no bash, no useradd, no shadow file,
// no adm group. The account is still made, and the customization runs as
// the user with /bin/sh.
func TestMinimalImage_MakesTheAccountWithoutShadowToolsOrBash(t *testing.T) {
	requireImage(t)
	minimal := "localhost/boxinit-minimal:" + tag
	if !imageExists(minimal) {
		t.Skipf("requires the image %s (make image ENGINE=%s)", minimal, engine)
	}
	out, err := runEngine(t, "run", "--rm", "--network", "none", "-e", "DEFAULT_USER=human", "-e", "CUSTOMIZE_COMMAND=id -u > /tmp/uid",
		minimal, "sh", "-c", "echo UID=$(cat /tmp/uid); grep human /etc/passwd /etc/group; ls /etc/shadow 2>&1; ls -ld /home/human")
	require.NoError(t, err, out)
	assert.Contains(t, out, "UID=1000")
	assert.Contains(t, out, "/etc/passwd:human:x:1000:1000::/home/human:/bin/sh")
	assert.Contains(t, out, "/etc/group:human:x:1000:")
	assert.Contains(t, out, "/etc/shadow: No such file or directory", "no shadow file is invented")
	assert.Contains(t, out, `msg="extra group does not exist: skipped" step=user group=adm`)
	assert.Regexp(t, `drwxr-xr-x\s+\d+\s+human\s+human .* /home/human`, out)
}

// The Kubernetes example runs under podman kube play: unprivileged, rc.env
// from the ConfigMap, /home on the claim; the pod becomes ready and sshd
// answers. (podman does not run readiness probes: the test asks boxinit
// status --ready itself, as the probe would.) Skipped under docker.
func TestKubernetesExample_BecomesReadyUnprivilegedAndSSHDAnswers(t *testing.T) {
	requireImage(t)
	requireKubePlay(t)
	example, err := os.ReadFile("../images/k8s/boxinit.yaml")
	require.NoError(t, err)
	require.Contains(t, string(example), "image: localhost/boxinit-debian:dev")
	manifest := filepath.Join(t.TempDir(), "boxinit.yaml") // with the image make image TAG= built
	require.NoError(t, os.WriteFile(manifest, []byte(strings.ReplaceAll(string(example), "localhost/boxinit-debian:dev", image)), 0o644))
	_, _ = runEngine(t, "kube", "down", manifest)
	_, _ = runEngine(t, "volume", "rm", "-f", "boxinit-home", "boxinit-config") // a fresh claim
	out, err := runEngine(t, "kube", "play", manifest)
	require.NoError(t, err, out)
	t.Cleanup(func() {
		_, _ = runEngine(t, "kube", "down", manifest)
		_, _ = runEngine(t, "volume", "rm", "-f", "boxinit-home", "boxinit-config")
	})
	const name = "boxinit-login-login"
	waitReady(t, name)
	priv, _ := runEngine(t, "inspect", name, "--format", "{{.HostConfig.Privileged}} {{.EffectiveCaps}}")
	assert.True(t, strings.HasPrefix(priv, "false"), priv)
	assert.NotContains(t, priv, "CAP_SYS_ADMIN")
	motd, err := runEngine(t, "exec", name, "cat", "/home/human/motd")
	require.NoError(t, err, motd)
	assert.Equal(t, "welcome\n", motd, "rc.env came from the ConfigMap")
	bin, err := runEngine(t, "exec", name, "stat", "-c", "%U", "/home/human/bin")
	require.NoError(t, err, bin)
	assert.Equal(t, "human\n", bin, "rc.user from the ConfigMap ran as the user")
	st, err := runEngine(t, "exec", name, "boxinit", "status", "--json")
	require.NoError(t, err, st)
	assert.Contains(t, st, `"job": "/etc/boxinit-config/crontab:2"`, "the ConfigMap's crontab is loaded")
	banner, err := runEngine(t, "exec", name, "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/2022; head -c 7 <&3")
	require.NoError(t, err, banner)
	assert.Equal(t, "SSH-2.0", banner)
}
