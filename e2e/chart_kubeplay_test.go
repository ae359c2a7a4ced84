package e2e

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"
)

// The published cloud-server chart's quick start, run through boxinit's
// chart under podman kube play (see TestChart_OldValues… for what the
// podmanKubePlay variant changes for podman 4.3).

// cloudServer is a user's side of the quick start: the CA files (the test
// CA of custom.yaml), a key server for userSSHImport and a git server for
// customizeRepo, both reachable from the pod.
type cloudServer struct {
	caKey, caPub string // files, for --set-file and ssh-keygen -s
	caPubLine    string
	imported     string // private key whose public half gh:alice serves
	url          string // http://HOST:PORT of the key and git server
}

func newCloudServer(t *testing.T) *cloudServer {
	values := readOldValues(t)
	dir := t.TempDir()
	cs := &cloudServer{caKey: filepath.Join(dir, "ca_key"), caPub: filepath.Join(dir, "ca_key.pub"), caPubLine: values.SSH.CAKeyPub}
	require.NoError(t, os.WriteFile(cs.caKey, []byte(values.SSH.CAKey), 0o600))
	require.NoError(t, os.WriteFile(cs.caPub, []byte(values.SSH.CAKeyPub+"\n"), 0o644))

	// A repository served over git's dumb HTTP protocol.
	repo := filepath.Join(dir, "dotfiles")
	require.NoError(t, os.MkdirAll(repo, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(repo, "install.sh"), []byte("#!/bin/sh\necho \"installed by $(id -un) from the repo\" > ~/from-repo\n"), 0o755))
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "."}, {"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "dotfiles"}, {"update-server-info"}} {
		out, err := exec.Command("git", append([]string{"-C", repo}, args...)...).CombinedOutput()
		require.NoError(t, err, string(out))
	}
	var pub string
	cs.imported, pub = sshKey(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/alice.keys", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, pub) })
	mux.Handle("/dotfiles.git/", http.StripPrefix("/dotfiles.git/", http.FileServer(http.Dir(filepath.Join(repo, ".git")))))
	l, err := net.Listen("tcp", "0.0.0.0:0")
	require.NoError(t, err)
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: mux}}
	srv.Start()
	t.Cleanup(srv.Close)
	cs.url = fmt.Sprintf("http://%s:%d", hostIP(t), l.Addr().(*net.TCPAddr).Port)
	return cs
}

// userCert signs a new key into a user certificate for name, as the old
// README's `ssh-keygen -s ca_key -I admin-key -n $USER id_rsa.pub`.
func (cs *cloudServer) userCert(t *testing.T, name string) (key, cert string) {
	key, _ = sshKey(t)
	out, err := exec.Command("ssh-keygen", "-q", "-s", cs.caKey, "-I", "admin-key", "-n", name, key+".pub").CombinedOutput()
	require.NoError(t, err, string(out))
	return key, key + "-cert.pub"
}

// knownHosts writes the old NOTES' line.
func (cs *cloudServer) knownHosts(t *testing.T, line string) string {
	path := filepath.Join(t.TempDir(), "known_hosts")
	require.NoError(t, os.WriteFile(path, []byte(line+"\n"), 0o644))
	return path
}

// sshTo logs in as user at ip, verifying the host against knownHosts, with
// key (and its certificate when cert is set), nothing else.
func sshTo(knownHosts, key, cert, user, ip, command string) (string, error) {
	args := []string{"-i", key, "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-o", "BatchMode=yes",
		"-o", "ConnectTimeout=10", "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + knownHosts}
	if cert != "" {
		args = append(args, "-o", "CertificateFile="+cert)
	}
	out, err := exec.Command("ssh", append(args, user+"@"+ip, command)...).CombinedOutput()
	return string(out), err
}

// kubePlay renders the chart with args, plays it with podman (opts before
// the file) and waits for the chart's readiness probe. It returns the
// container's name; the pod, its claims and ConfigMaps go at cleanup.
func kubePlay(t *testing.T, opts []string, args ...string) (container string, restart func()) {
	rendered := render(t, chartDir, args...)
	manifest := filepath.Join(t.TempDir(), "rendered.yaml")
	require.NoError(t, os.WriteFile(manifest, []byte(rendered), 0o644))
	docs := documents(t, rendered)
	var volumes []string
	for kindName := range docs {
		if kind, name, _ := strings.Cut(kindName, "/"); kind == "PersistentVolumeClaim" || kind == "ConfigMap" {
			volumes = append(volumes, name)
		}
	}
	down := func() {
		_, _ = podman(t, "kube", "down", manifest)
		_, _ = podman(t, append([]string{"volume", "rm", "-f"}, volumes...)...)
	}
	down()
	out, err := podman(t, append(append([]string{"kube", "play"}, opts...), manifest)...)
	require.NoError(t, err, out)
	dep := object[appsv1.Deployment](t, docs, "Deployment/"+fullname)
	pod := fullname + "-pod-0" // podman's name for the Deployment's pod
	container = pod + "-" + dep.Spec.Template.Spec.Containers[0].Name
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := podman(t, "logs", container)
			t.Logf("container log:\n%s", logs)
		}
		down()
	})
	probe := append([]string{"exec", container}, dep.Spec.Template.Spec.Containers[0].ReadinessProbe.Exec.Command...)
	ready := func() {
		require.Eventually(t, func() bool { _, err := podman(t, probe...); return err == nil }, 2*time.Minute, 250*time.Millisecond,
			"the chart's readinessProbe succeeds")
	}
	ready()
	return container, func() {
		out, err := podman(t, "stop", "-t", "20", container)
		require.NoError(t, err, out)
		require.Eventually(t, func() bool {
			state, _ := podman(t, "pod", "inspect", pod, "--format", "{{.State}}")
			return strings.TrimSpace(state) == "Exited"
		}, 30*time.Second, 200*time.Millisecond, "the pod stops with its container")
		out, err = podman(t, "pod", "start", pod)
		require.NoError(t, err, out)
		ready()
	}
}

// overlay writes values on top of the published ones for podman and the
// test's servers.
func (cs *cloudServer) overlay(t *testing.T, extra map[string]any) string {
	v := map[string]any{
		"podmanKubePlay": true,
		"image":          map[string]any{"repository": "localhost/boxinit-debian", "tag": tag},
		"extraEnv":       []map[string]string{{"name": "BOXINIT_GITHUB_URL", "value": cs.url}},
		"resources":      map[string]any{}, // podman applies limits; 1 CPU on a shared 2-core machine is fine, but not needed
	}
	for k, x := range extra {
		v[k] = x
	}
	b, err := yaml.Marshal(v)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "overlay.yaml")
	require.NoError(t, os.WriteFile(path, b, 0o644))
	return path
}

// The 0.16.0 quick start (`helm install myserver ... --set user=$USER --set
// hostName=myhost --set-file ssh.ca_key=./ca_key,ssh.ca_key_pub=./ca_key.pub`)
// plus a custom.yaml with userSSHImport, customizeRepo(+Command),
// extraPorts and extraMounts: the user logs in with a certificate the CA
// signed and no key in authorized_keys, and with the imported key, the
// host verified by the old NOTES' `@cert-authority *` line for the pod's
// address; a restart keeps /home, /data and the logins.
func TestChart_CloudServerQuickStartLogsInWithAUserCertificateAndTheOldKnownHostsLine(t *testing.T) {
	requireImage(t)
	helm(t)
	cs := newCloudServer(t)
	custom := cs.overlay(t, map[string]any{
		"userSSHImport":        "gh:alice",
		"customizeRepo":        cs.url + "/dotfiles.git",
		"customizeRepoCommand": "./install.sh",
		"extraPorts":           []map[string]any{{"port": 8080, "proto": "TCP", "name": "http"}},
		"extraMounts":          []map[string]any{{"name": "data", "path": "/data", "size": "1Gi"}},
	})
	name, restart := kubePlay(t, nil, "-f", "testdata/chart/published/0.16.0/values.yaml", "-f", custom,
		"--set", "user=alice", "--set", "hostName=myhost", "--set-file", "ssh.ca_key="+cs.caKey+",ssh.ca_key_pub="+cs.caPub)
	priv, _ := podman(t, "inspect", name, "--format", "{{.HostConfig.Privileged}} {{.EffectiveCaps}}")
	assert.True(t, strings.HasPrefix(priv, "false"), "privileged: true of 0.16's values is not honoured: %s", priv)
	assert.NotContains(t, priv, "CAP_SYS_ADMIN")

	ip := podIP(t, name)
	knownHosts := cs.knownHosts(t, "@cert-authority * "+cs.caPubLine)
	key, cert := cs.userCert(t, "alice")
	out, err := sshTo(knownHosts, key, cert, "alice", ip, "id; hostname; sudo -n true && echo SUDO-OK; cat ~/from-repo; sudo -n touch /data/kept && echo DATA-OK; touch ~/kept")
	require.NoError(t, err, "login with the CA-signed user certificate, the host verified by @cert-authority * for its IP: %s", out)
	assert.Contains(t, out, "uid=10000(alice) gid=10000(alice)", "userID: 10000 of 0.16's values")
	assert.Contains(t, out, "\nmyhost\n", "the kernel's host name, in an unprivileged pod")
	assert.Contains(t, out, "SUDO-OK")
	assert.Contains(t, out, "installed by alice from the repo", "customizeRepo + customizeRepoCommand, as the user")
	assert.Contains(t, out, "DATA-OK", "extraMounts")

	out, err = sshTo(knownHosts, cs.imported, "", "alice", ip, "echo IMPORTED-OK")
	require.NoError(t, err, "login with the gh:-imported key: %s", out)
	assert.Contains(t, out, "IMPORTED-OK")

	other := filepath.Join(t.TempDir(), "other")
	require.NoError(t, exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other).Run())
	otherPub, err := os.ReadFile(other + ".pub")
	require.NoError(t, err)
	out, err = sshTo(cs.knownHosts(t, "@cert-authority * "+strings.TrimSpace(string(otherPub))), key, cert, "alice", ip, "true")
	require.Error(t, err, "another CA's known_hosts must not accept the host: %s", out)
	assert.Contains(t, out, "Host key verification failed")
	signedByOther := filepath.Join(t.TempDir(), "id")
	require.NoError(t, exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", signedByOther).Run())
	require.NoError(t, exec.Command("ssh-keygen", "-q", "-s", other, "-I", "x", "-n", "alice", signedByOther+".pub").Run())
	out, err = sshTo(knownHosts, signedByOther, signedByOther+"-cert.pub", "alice", ip, "true")
	require.Error(t, err, "a certificate of another CA is refused: %s", out)

	status, err := podman(t, "exec", name, "boxinit", "status")
	require.NoError(t, err, status)
	assert.Regexp(t, `host certificates valid until \d{4}-\d\d-\d\d \d\d:\d\d UTC \((364|365) days left\)`, status)

	restart()
	out, err = sshTo(knownHosts, key, cert, "alice", podIP(t, name), "ls ~/kept /data/kept; grep -c '^alice:' /etc/passwd; grep -c 'gh:alice' ~/.ssh/authorized_keys")
	require.NoError(t, err, "login after the restart: %s", out)
	assert.Equal(t, "/data/kept\n/home/alice/kept\n1\n1\n", out, "/home and /data kept, nothing duplicated")
}

// hostUsers: false, as podman runs it (--userns=auto; Kubernetes gives a
// pod 65536 ids, so does the test): root in the container is an
// unprivileged uid on the host, and boot, ssh with a user certificate and
// the host certificate, sudo and cron all work.
func TestChart_HostUsersFalseBootsLogsInAndRunsCronWithRootUnprivilegedOnTheHost(t *testing.T) {
	requireImage(t)
	helm(t)
	for _, f := range []string{"/etc/subuid", "/etc/subgid"} {
		if b, _ := os.ReadFile(f); !strings.Contains(string(b), "\ncontainers:") && !strings.HasPrefix(string(b), "containers:") {
			t.Skipf("requires ids for podman's user namespaces: a containers:… line in %s (make deps)", f)
		}
	}
	cs := newCloudServer(t)
	values := cs.overlay(t, map[string]any{"hostUsers": false, "crontab": "@every 2s alice id -un > /tmp/cron-user\n"})
	name, _ := kubePlay(t, []string{"--userns=auto:size=65536"}, "-f", "testdata/chart/published/0.16.0/values.yaml", "-f", values,
		"--set", "user=alice", "--set-file", "ssh.ca_key="+cs.caKey+",ssh.ca_key_pub="+cs.caPub)

	uidMap, err := podman(t, "exec", name, "cat", "/proc/self/uid_map")
	require.NoError(t, err, uidMap)
	f := strings.Fields(uidMap)
	require.Len(t, f, 3, uidMap)
	assert.Equal(t, "0", f[0])
	assert.NotEqual(t, "0", f[1], "root in the pod is not root on the host")
	assert.Equal(t, "65536", f[2])
	users, err := podman(t, "top", name, "user", "huser", "args")
	require.NoError(t, err, users)
	assert.Regexp(t, `(?m)^root\s+`+f[1]+`\s+sshd: /usr/sbin/sshd`, users, "sshd runs as root of the pod, host uid %s", f[1])

	key, cert := cs.userCert(t, "alice")
	out, err := sshTo(cs.knownHosts(t, "@cert-authority * "+cs.caPubLine), key, cert, "alice", podIP(t, name), "id -un; sudo -n id -u && echo SUDO-OK")
	require.NoError(t, err, "login with the user certificate, the host certificate verified: %s", out)
	assert.Equal(t, "alice\n0\nSUDO-OK\n", out)
	assert.Eventually(t, func() bool {
		out, _ := podman(t, "exec", name, "cat", "/tmp/cron-user")
		return out == "alice\n"
	}, 20*time.Second, 500*time.Millisecond, "the chart's crontab runs as alice")
}
