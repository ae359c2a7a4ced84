package e2e

import (
	"bytes"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
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
	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite the chart's golden files from what helm renders now")

const (
	chartDir    = "../images/chart"
	helmInstall = "go install helm.sh/helm/v3/cmd/helm@v3.22.0 (make deps does it)"
	release     = "login" // with the chart's name: objects are called login-boxinit
	fullname    = "login-boxinit"
)

// helm returns the helm binary: on PATH or where go install puts it.
func helm(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("helm"); err == nil {
		return p
	}
	gopath, err := exec.Command("go", "env", "GOPATH").Output()
	if err == nil {
		p := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "helm")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skip("requires helm: " + helmInstall)
	return ""
}

// render runs helm template for the release in namespace default.
func render(t *testing.T, chart string, args ...string) string {
	t.Helper()
	out, err := renderErr(t, chart, args...)
	require.NoError(t, err, out)
	return out
}

func renderErr(t *testing.T, chart string, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(helm(t), append([]string{"template", release, chart, "--namespace", "default"}, args...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stderr.String(), err
	}
	return stdout.String(), nil
}

// object is one rendered Kubernetes object, read with dig.
type object map[string]any

func objects(t *testing.T, manifests string) map[string]object {
	t.Helper()
	byKindName := map[string]object{}
	dec := yaml.NewDecoder(strings.NewReader(manifests))
	for {
		var o object
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			return byKindName
		}
		require.NoError(t, err)
		if o != nil {
			byKindName[fmt.Sprintf("%s/%s", o["kind"], dig(o, "metadata", "name"))] = o
		}
	}
}

// dig follows map keys and list indexes; nil when the path is not there.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(object)
			if m == nil {
				m2, _ := v.(map[string]any)
				m = m2
			}
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// mounts maps a container's mount paths to "volume" or "volume:subPath".
func mounts(c any) map[string]string {
	m := map[string]string{}
	list, _ := dig(c, "volumeMounts").([]any)
	for _, vm := range list {
		v := fmt.Sprint(dig(vm, "name"))
		if sp := dig(vm, "subPath"); sp != nil {
			v += ":" + fmt.Sprint(sp)
		}
		m[fmt.Sprint(dig(vm, "mountPath"))] = v
	}
	return m
}

func volume(pod any, name string) any {
	list, _ := dig(pod, "volumes").([]any)
	for _, v := range list {
		if dig(v, "name") == name {
			return v
		}
	}
	return nil
}

func env(c any) map[string]string {
	m := map[string]string{}
	list, _ := dig(c, "env").([]any)
	for _, e := range list {
		m[fmt.Sprint(dig(e, "name"))] = fmt.Sprint(dig(e, "value"))
	}
	return m
}

func readValues(t *testing.T, name string) map[string]any {
	b, err := os.ReadFile(filepath.Join("testdata/chart", name))
	require.NoError(t, err)
	var v map[string]any
	require.NoError(t, yaml.Unmarshal(b, &v))
	return v
}

func TestChart_PassesHelmLintWithTheDefaultsTheOldValuesAndTheNewOnes(t *testing.T) {
	for _, values := range [][]string{nil, {"-f", "testdata/chart/custom.yaml"}, {"-f", "testdata/chart/new-values.yaml"}} {
		out, err := exec.Command(helm(t), append([]string{"lint", "--strict", chartDir}, values...)...).CombinedOutput()
		assert.NoError(t, err, "helm lint %v:\n%s", values, out)
	}
}

// The golden files are the whole rendering: a change to the chart shows up
// in review as a change to them (go test ./e2e -run Golden -update).
func TestChart_RendersExactlyTheGoldenManifests(t *testing.T) {
	for _, tc := range []struct{ golden, values string }{
		{"defaults.golden.yaml", ""},
		{"custom.golden.yaml", "testdata/chart/custom.yaml"},
		{"new-values.golden.yaml", "testdata/chart/new-values.yaml"},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			var args []string
			if tc.values != "" {
				args = []string{"-f", tc.values}
			}
			got := render(t, chartDir, args...)
			path := filepath.Join("testdata/chart", tc.golden)
			if *update {
				require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "no golden file: run go test ./e2e -run Golden -update")
			assert.Equal(t, string(want), got)
		})
	}
}

// Every value of the old chart's custom.yaml keeps its meaning, and the
// result runs unprivileged.
func TestChart_GivesTheOldValuesTheirOldMeaningInAnUnprivilegedStatefulSet(t *testing.T) {
	values := readValues(t, "custom.yaml")
	manifests := render(t, chartDir, "-f", "testdata/chart/custom.yaml")
	objs := objects(t, manifests)

	sts := objs["StatefulSet/"+fullname]
	require.NotNil(t, sts, "a StatefulSet, as before: %v", keys(objs))
	assert.Equal(t, 1, dig(sts, "spec", "replicas"))
	pod := dig(sts, "spec", "template", "spec")
	c := dig(pod, "containers", 0)

	rc := objs["ConfigMap/"+fullname+"-rc"]
	assert.Equal(t, values["rcEnv"], dig(rc, "data", "rc.env"), "rcEnv goes into rc.env verbatim, trailing blanks and all")
	assert.NotContains(t, manifests, "useradd", "rcLocal is rendered nowhere: it is not run")
	m := mounts(c)
	assert.Equal(t, "rc:rc.env", m["/etc/rc.env"])

	assert.Equal(t, dig(values, "ssh", "sshd_config"), dig(objs["ConfigMap/"+fullname+"-ssh"], "data", "sshd_config"))
	assert.Equal(t, dig(values, "ssh", "ca_key_pub").(string)+"\n", dig(objs["ConfigMap/"+fullname+"-ssh"], "data", "ca_key.pub"))
	assert.Equal(t, "ssh:sshd_config", m["/etc/ssh/sshd_config"])
	assert.Equal(t, "ssh:ca_key.pub", m["/etc/ssh/ca/ca_key.pub"])
	secret := objs["Secret/"+fullname+"-ssh-ca"]
	key, err := base64.StdEncoding.DecodeString(fmt.Sprint(dig(secret, "data", "ca_key")))
	require.NoError(t, err)
	assert.Equal(t, dig(values, "ssh", "ca_key"), string(key), "the CA key is in a Secret")
	assert.Equal(t, "ssh-ca:ca_key", m["/etc/ssh/ca/ca_key"])
	assert.Equal(t, 0o400, dig(volume(pod, "ssh-ca"), "secret", "defaultMode"), "readable by root only")
	assert.NotContains(t, fmt.Sprint(dig(c, "env")), "PRIVATE KEY", "the CA key is not in the environment")
	assert.NotContains(t, fmt.Sprint(dig(objs["ConfigMap/"+fullname+"-ssh"], "data")), "PRIVATE KEY")
	assert.Contains(t, env(c)["SSH_HOST_PRINCIPALS"], fullname+".default.svc.cluster.local", "certificates for the Service's names")

	home := dig(sts, "spec", "volumeClaimTemplates", 0)
	assert.Equal(t, "home", dig(home, "metadata", "name"))
	assert.Equal(t, "keep", dig(home, "metadata", "annotations", "helm.sh/resource-policy"))
	assert.Equal(t, "5Gi", dig(home, "spec", "resources", "requests", "storage"))
	assert.Equal(t, "standard", dig(home, "spec", "storageClassName"))
	data := dig(sts, "spec", "volumeClaimTemplates", 1)
	assert.Equal(t, "data", dig(data, "metadata", "name"), "extraMounts become claims")
	assert.Equal(t, "20Gi", dig(data, "spec", "resources", "requests", "storage"))
	assert.Equal(t, "home", m["/home"])
	assert.Equal(t, "data", m["/data"])

	svc := objs["Service/"+fullname]
	assert.Equal(t, "LoadBalancer", dig(svc, "spec", "type"))
	assert.Equal(t, 22, dig(svc, "spec", "ports", 0, "port"))
	assert.Equal(t, "login.example.com", dig(svc, "metadata", "annotations", "external-dns.alpha.kubernetes.io/hostname"))
	assert.Equal(t, "2Gi", dig(c, "resources", "limits", "memory"))
	assert.Equal(t, "linux", dig(pod, "nodeSelector", "kubernetes.io/os"))
	assert.Equal(t, "login", dig(pod, "tolerations", 0, "value"))
	assert.NotNil(t, objs["ServiceAccount/"+fullname])
	assert.Equal(t, fullname, dig(pod, "serviceAccountName"))

	assert.Nil(t, dig(c, "securityContext", "privileged"), "not privileged")
	assert.NotContains(t, manifests, "SYS_ADMIN")
	assert.Equal(t, []any{"/sbin/boxinit", "status", "--ready"}, dig(c, "readinessProbe", "exec", "command"))
	assert.Equal(t, 22, dig(c, "livenessProbe", "tcpSocket", "port"))
	assert.Nil(t, dig(c, "command"), "the image's ENTRYPOINT, boxinit, stays")
	assert.Equal(t, []any{"/usr/sbin/sshd", "-D", "-e"}, dig(c, "args"), "sshd is the main command")
	grace, err := time.ParseDuration(env(c)["BOXINIT_GRACE_PERIOD"])
	require.NoError(t, err)
	assert.Greater(t, time.Duration(dig(pod, "terminationGracePeriodSeconds").(int))*time.Second, grace,
		"the kubelet waits longer than boxinit's grace period")
}

func TestChart_PutsHooksRcUserAndTheCrontabWhereBoxinitReadsThem(t *testing.T) {
	objs := objects(t, render(t, chartDir, "-f", "testdata/chart/new-values.yaml"))
	sts := objs["StatefulSet/"+fullname]
	pod := dig(sts, "spec", "template", "spec")
	c := dig(pod, "containers", 0)
	m := mounts(c)
	assert.Equal(t, "hooks", m["/etc/boxinit.d"])
	assert.Equal(t, 0o755, dig(volume(pod, "hooks"), "configMap", "defaultMode"), "hooks are executable")
	assert.Contains(t, dig(objs["ConfigMap/"+fullname+"-hooks"], "data", "20-motd"), "/etc/motd")
	assert.Equal(t, "rc:rc.user", m["/etc/rc.user"])
	assert.Equal(t, "rc:crontab", m["/etc/cron.d/"+fullname])
	assert.Equal(t, "*/5 * * * * human date > /tmp/last-cron\n", dig(objs["ConfigMap/"+fullname+"-rc"], "data", "crontab"))
	assert.Equal(t, "30s", env(c)["BOXINIT_GRACE_PERIOD"])
	assert.Equal(t, 35, dig(pod, "terminationGracePeriodSeconds"))
	assert.Equal(t, "login-boxinit login-boxinit.default login-boxinit.default.svc login-boxinit.default.svc.cluster.local login.example.com 203.0.113.7",
		env(c)["SSH_HOST_PRINCIPALS"])
	assert.Equal(t, "Europe/Berlin", env(c)["TZ"])

	out, err := renderErr(t, chartDir, "--set-string", "hooks.10-bad\\.sh=true")
	require.Error(t, err)
	assert.Contains(t, out, `hooks: "10-bad.sh": a hook's name has letters, digits, '_' and '-' only`, "run-parts would skip it")
	out, err = renderErr(t, chartDir, "--set", "extraMounts[0].name=data")
	require.Error(t, err)
	assert.Contains(t, out, "extraMounts: every entry needs a name and a path")
}

// notes renders NOTES.txt, which helm template leaves out: a copy of the
// chart gets a ConfigMap that holds it.
func notes(t *testing.T, args ...string) string {
	dir := filepath.Join(t.TempDir(), "boxinit")
	require.NoError(t, os.CopyFS(dir, os.DirFS(chartDir)))
	text, err := os.ReadFile(filepath.Join(dir, "templates/NOTES.txt"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "templates/_notes.tpl"),
		append(append([]byte(`{{- define "test.notes" }}`), text...), "{{- end }}"...), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "templates/notes.yaml"),
		[]byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: notes}\ndata:\n  notes: {{ include \"test.notes\" . | quote }}\n"), 0o644))
	objs := objects(t, render(t, dir, append(args, "--show-only", "templates/notes.yaml")...))
	return fmt.Sprint(dig(objs["ConfigMap/notes"], "data", "notes"))
}

func TestChart_NotesSayRcLocalIsNotRunAndWhereItsStepsGoNow(t *testing.T) {
	out := notes(t, "-f", "testdata/chart/custom.yaml")
	assert.Contains(t, out, "rcLocal is set but is NOT run any more")
	assert.Contains(t, out, "hooks:    scripts run as root after the user exists  (/etc/boxinit.d)")
	assert.Contains(t, out, "rcUser:   a script run as the user at every boot      (/etc/rc.user)")
	assert.Contains(t, out, "crontab:  jobs in system crontab format               (/etc/cron.d/login-boxinit)")
	assert.Contains(t, out, "@cert-authority login-boxinit,login-boxinit.default,login-boxinit.default.svc,login-boxinit.default.svc.cluster.local ssh-ed25519 AAAAC3")
	assert.NotContains(t, out, "privileged")

	out = notes(t, "--set", "securityContext.privileged=true")
	assert.Contains(t, out, "boxinit needs\nneither", "a copied privileged securityContext is pointed out")
	assert.NotContains(t, out, "rcLocal")
	out = notes(t, "--set", "securityContext.capabilities.add={SYS_ADMIN}")
	assert.Contains(t, out, "asks for privileged or SYS_ADMIN")
}

// The old custom.yaml, unchanged, under podman kube play. podman 4.3 lacks
// what the chart uses in Kubernetes, so the chart renders its test variant
// (podmanKubePlay=true): a Pod and the claims the StatefulSet would make
// instead of the StatefulSet; ConfigMaps mounted as directories, found by
// boxinit through BOXINIT_ENV_FILE and by sshd through -f, instead of
// subPath mounts (podman ignores subPath); the CA key in the ConfigMap of
// /etc/ssh/ca instead of a Secret (podman 4.3 writes a Secret's data
// still base64-encoded, and ignores file modes); no containerPort (podman
// would publish it on the host's port 22). podman runs no probes: the test
// runs the rendered readiness command and dials the liveness port itself.
func TestChart_OldValuesBootUnprivilegedUnderPodmanAndSSHVerifiesTheHostCertificate(t *testing.T) {
	requireImage(t)
	values := readValues(t, "custom.yaml")
	key, pub := sshKey(t)
	keyServer := &httptest.Server{Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/alice.keys" { // DEFAULT_KEY_IMPORT="gh:alice" in custom.yaml
			http.NotFound(w, r)
			return
		}
		fmt.Fprintln(w, pub)
	})}}
	l, err := net.Listen("tcp", "0.0.0.0:0") // the pod reaches the host, not its loopback
	require.NoError(t, err)
	keyServer.Listener = l
	keyServer.Start()
	defer keyServer.Close()
	overlay := filepath.Join(t.TempDir(), "podman.yaml")
	require.NoError(t, os.WriteFile(overlay, fmt.Appendf(nil,
		"podmanKubePlay: true\nextraEnv:\n  - name: BOXINIT_GITHUB_URL\n    value: http://%s:%d\n", hostIP(t), l.Addr().(*net.TCPAddr).Port), 0o644))

	manifest := filepath.Join(t.TempDir(), "rendered.yaml")
	rendered := render(t, chartDir, "-f", "testdata/chart/custom.yaml", "-f", overlay)
	require.NoError(t, os.WriteFile(manifest, []byte(rendered), 0o644))
	volumes := []string{"home-" + fullname + "-0", "data-" + fullname + "-0", fullname + "-rc", fullname + "-ssh"}
	down := func() {
		_, _ = podman(t, "kube", "down", manifest)
		_, _ = podman(t, append([]string{"volume", "rm", "-f"}, volumes...)...)
	}
	down()
	out, err := podman(t, "kube", "play", manifest)
	require.NoError(t, err, out)
	const name = fullname + "-0-boxinit"
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := podman(t, "logs", name)
			t.Logf("container log:\n%s", logs)
		}
		down()
	})

	objs := objects(t, rendered)
	c := dig(objs["Pod/"+fullname+"-0"], "spec", "containers", 0)
	probe := []string{"exec", name}
	for _, a := range dig(c, "readinessProbe", "exec", "command").([]any) {
		probe = append(probe, a.(string))
	}
	ready := func() {
		require.Eventually(t, func() bool { _, err := podman(t, probe...); return err == nil }, time.Minute, 200*time.Millisecond,
			"the chart's readinessProbe succeeds")
	}
	ready()
	priv, _ := podman(t, "inspect", name, "--format", "{{.HostConfig.Privileged}} {{.EffectiveCaps}}")
	assert.True(t, strings.HasPrefix(priv, "false"), priv)
	assert.NotContains(t, priv, "CAP_SYS_ADMIN")

	ip := podIP(t, name)
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(ip, fmt.Sprint(dig(c, "livenessProbe", "tcpSocket", "port"))), 5*time.Second)
	require.NoError(t, err, "the livenessProbe's port answers")
	conn.Close()

	// The client knows no host key, only the chart's CA for the Service's name.
	alias := fullname + ".default.svc.cluster.local"
	knownHosts := filepath.Join(t.TempDir(), "known_hosts")
	require.NoError(t, os.WriteFile(knownHosts, fmt.Appendf(nil, "@cert-authority %s %s\n", alias, dig(values, "ssh", "ca_key_pub")), 0o644))
	login := func(knownHosts string) (string, error) {
		out, err := exec.Command("ssh", "-i", key, "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
			"-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile="+knownHosts, "-o", "HostKeyAlias="+alias,
			"human@"+podIP(t, name), "id; cat /etc/hostname; sudo -n true && echo SUDO-OK").CombinedOutput()
		return string(out), err
	}
	out, err = login(knownHosts)
	require.NoError(t, err, "ssh with the gh:-imported key, verifying the host certificate: %s", out)
	assert.Contains(t, out, "uid=1000(human) gid=1000(human) groups=1000(human),4(adm)")
	assert.Contains(t, out, "login-1", "SET_HOSTNAME from rcEnv")
	assert.Contains(t, out, "SUDO-OK")

	_, otherCA := sshKey(t)
	wrongCA := filepath.Join(t.TempDir(), "known_hosts")
	require.NoError(t, os.WriteFile(wrongCA, fmt.Appendf(nil, "@cert-authority %s %s\n", alias, otherCA), 0o644))
	out, err = login(wrongCA)
	require.Error(t, err, "another CA's known_hosts must not accept the host: %s", out)
	assert.Contains(t, out, "Host key verification failed")

	// A restart with the same writable layer (where the old rc.local died
	// on useradd): boot again, same certificate, same login.
	cert := "cat /etc/ssh/ssh_host_rsa_key-cert.pub"
	before, err := podman(t, "exec", name, "sh", "-c", cert)
	require.NoError(t, err, before)
	// kube play pods stop when their last container does, asynchronously:
	// a `podman pod restart` races with that and stops the new container.
	out, err = podman(t, "stop", "-t", "20", name)
	require.NoError(t, err, out)
	require.Eventually(t, func() bool {
		state, _ := podman(t, "pod", "inspect", fullname+"-0", "--format", "{{.State}}")
		return strings.TrimSpace(state) == "Exited"
	}, 30*time.Second, 200*time.Millisecond, "the pod stops with its container")
	out, err = podman(t, "pod", "start", fullname+"-0")
	require.NoError(t, err, out)
	ready()
	after, err := podman(t, "exec", name, "sh", "-c", cert)
	require.NoError(t, err, after)
	assert.Equal(t, before, after, "the host certificate persists across restarts")
	out, err = login(knownHosts)
	require.NoError(t, err, "login after the restart: %s", out)
	counts, _ := podman(t, "exec", name, "sh", "-c", "grep -c '^human:' /etc/passwd; grep -c 'gh:alice' /home/human/.ssh/authorized_keys")
	assert.Equal(t, "1\n1\n", counts, "nothing duplicated by the second boot")
}

func podIP(t *testing.T, container string) string {
	ip, err := podman(t, "inspect", container, "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}")
	require.NoError(t, err, ip)
	return strings.TrimSpace(ip)
}

// hostIP is an address of this machine that a pod on podman's bridge can
// reach.
func hostIP(t *testing.T) string {
	addrs, err := net.InterfaceAddrs()
	require.NoError(t, err)
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && n.IP.IsGlobalUnicast() {
			return n.IP.String()
		}
	}
	t.Skip("no non-loopback IPv4 address for the pod to reach the key server")
	return ""
}

func keys(m map[string]object) []string {
	var k []string
	for name := range m {
		k = append(k, name)
	}
	return k
}

// The old chart, for the README's side-by-side table: its rc.local from
// custom.yaml, run the way the old pod ran it (privileged, `bash -c
// "mkdir /run/sshd; /etc/rc.local; touch /ready; exec sshd -e -D"`, host
// keys baked into its image), then restarted with the same writable layer.
// The script stops at useradd; the `;` carries on, so the pod comes up
// ready with every later step of the script skipped.
func TestOldRcLocal_OnRestartStopsAtUseraddYetThePodComesUpReady(t *testing.T) {
	requireImage(t)
	values := readValues(t, "custom.yaml")
	dir := t.TempDir()
	files := map[string]string{
		"rc.local": values["rcLocal"].(string),
		// No key import: ssh-import-id is not in the image, and the step
		// under test comes before it.
		"rc.env": "DEFAULT_USER=\"human\" \nDEFAULT_KEY=\"\" \nDEFAULT_KEY_IMPORT=\"\" \nSET_HOSTNAME=\"login-1\" \nCUSTOMIZE_REPO=\"\" \nCUSTOMIZE_CMD=\"\" \n",
		"ca_key": dig(values, "ssh", "ca_key").(string),
	}
	for name, content := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o700))
	}
	const name = "boxinit-e2e-old-rclocal"
	_, _ = podman(t, "rm", "-f", name)
	t.Cleanup(func() { _, _ = podman(t, "rm", "-f", "-t", "0", name) })
	out, err := podman(t, "run", "-d", "--name", name, "--privileged", "--network", "none",
		"-v", filepath.Join(dir, "rc.local")+":/etc/rc.local:ro", "-v", filepath.Join(dir, "rc.env")+":/etc/rc.env:ro",
		"-v", filepath.Join(dir, "ca_key")+":/etc/ssh/ca/ca_key:ro", "--entrypoint", "bash", image,
		"-c", "ssh-keygen -A >/dev/null; mkdir -p /run/sshd; /etc/rc.local; touch /ready; exec /usr/sbin/sshd -D -e")
	require.NoError(t, err, out)
	ready := func() bool {
		_, err := podman(t, "exec", name, "test", "-f", "/ready")
		return err == nil
	}
	require.Eventually(t, ready, 30*time.Second, 200*time.Millisecond, "first boot")
	out, err = podman(t, "exec", name, "sh", "-c", "id -un 1000; cat /etc/sudoers.d/human; test -f /etc/ssh/ssh_host_rsa_key-cert.pub && echo CERT")
	require.NoError(t, err, out)
	assert.Equal(t, "human\nhuman ALL=(ALL) NOPASSWD:ALL\nCERT\n", out, "the first boot did every step")

	out, err = podman(t, "stop", "-t", "5", name)
	require.NoError(t, err, out)
	_, err = podman(t, "start", name)
	require.NoError(t, err)
	require.Eventually(t, ready, 30*time.Second, 200*time.Millisecond)
	require.Eventually(t, func() bool {
		logs, _ := podman(t, "logs", name)
		return strings.Count(logs, "Server listening on 0.0.0.0") == 2
	}, 30*time.Second, 200*time.Millisecond, "sshd runs again")
	logs, _ := podman(t, "logs", name)
	assert.Contains(t, logs, "useradd: user 'human' already exists", "rc.local stops at useradd on the restart")
	state, _ := podman(t, "inspect", name, "--format", "{{.State.Status}}")
	assert.Equal(t, "running\n", state, "and the pod runs on, ready, as if it had booted")
}
