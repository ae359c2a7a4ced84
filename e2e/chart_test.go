package e2e

import (
	"bytes"
	"flag"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
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

// documents splits helm's output into its YAML documents, by kind and
// name ("Deployment/login-boxinit"); comment-only documents are left out.
func documents(t *testing.T, manifests string) map[string]string {
	t.Helper()
	docs := map[string]string{}
	for _, doc := range strings.Split(manifests, "\n---\n") {
		doc += "\n" // the separator took the last line's end, which a block scalar keeps
		var meta struct {
			Kind     string
			Metadata struct{ Name string }
		}
		require.NoError(t, yaml.Unmarshal([]byte(doc), &meta))
		if meta.Kind != "" {
			docs[meta.Kind+"/"+meta.Metadata.Name] = doc
		}
	}
	return docs
}

// object decodes the rendered object kind/name strictly into T.
func object[T any](t *testing.T, docs map[string]string, kindName string) *T {
	t.Helper()
	doc, ok := docs[kindName]
	require.True(t, ok, "no %s among %v", kindName, slices.Sorted(maps.Keys(docs)))
	var o T
	require.NoError(t, yaml.UnmarshalStrict([]byte(doc), &o), kindName)
	return &o
}

// mounts maps a container's mount paths to "volume" or "volume:subPath".
func mounts(c corev1.Container) map[string]string {
	m := map[string]string{}
	for _, vm := range c.VolumeMounts {
		m[vm.MountPath] = vm.Name
		if vm.SubPath != "" {
			m[vm.MountPath] += ":" + vm.SubPath
		}
	}
	return m
}

func volume(pod corev1.PodSpec, name string) corev1.Volume {
	for _, v := range pod.Volumes {
		if v.Name == name {
			return v
		}
	}
	return corev1.Volume{}
}

func env(c corev1.Container) map[string]string {
	m := map[string]string{}
	for _, e := range c.Env {
		m[e.Name] = e.Value
	}
	return m
}

// oldValues is what the tests read back from custom.yaml.
type oldValues struct {
	RcEnv   string `json:"rcEnv"`
	RcLocal string `json:"rcLocal"`
	SSH     struct {
		SSHDConfig string `json:"sshd_config"`
		CAKeyPub   string `json:"ca_key_pub"`
		CAKey      string `json:"ca_key"`
	} `json:"ssh"`
}

func readOldValues(t *testing.T) oldValues {
	b, err := os.ReadFile("testdata/chart/custom.yaml")
	require.NoError(t, err)
	var v oldValues
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

// Every value of the rcEnv-era custom.yaml keeps its meaning, and the
// result runs unprivileged.
func TestChart_GivesTheRcEnvEraValuesTheirOldMeaningInAnUnprivilegedDeployment(t *testing.T) {
	values := readOldValues(t)
	manifests := render(t, chartDir, "-f", "testdata/chart/custom.yaml")
	docs := documents(t, manifests)

	dep := object[appsv1.Deployment](t, docs, "Deployment/"+fullname)
	assert.Equal(t, int32(1), *dep.Spec.Replicas)
	assert.Equal(t, appsv1.RecreateDeploymentStrategyType, dep.Spec.Strategy.Type, "one pod at a time on a ReadWriteOnce /home")
	pod := dep.Spec.Template.Spec
	require.Len(t, pod.Containers, 1)
	c := pod.Containers[0]
	m := mounts(c)

	rc := object[corev1.ConfigMap](t, docs, "ConfigMap/"+fullname+"-rc")
	assert.Equal(t, values.RcEnv, rc.Data["rc.env"], "rcEnv that sets DEFAULT_USER goes into rc.env verbatim, trailing blanks and all")
	assert.Equal(t, "rc:rc.env", m["/etc/rc.env"])
	assert.NotContains(t, manifests, "useradd", "rcLocal is rendered nowhere: it is not run")
	assert.Equal(t, "login-1", pod.Hostname, "SET_HOSTNAME of rcEnv is the pod's hostname")

	ssh := object[corev1.ConfigMap](t, docs, "ConfigMap/"+fullname+"-ssh")
	assert.Equal(t, values.SSH.SSHDConfig, ssh.Data["sshd_config"])
	assert.Equal(t, values.SSH.CAKeyPub+"\n", ssh.Data["ca_key.pub"])
	assert.NotContains(t, ssh.Data, "ca_key", "the CA key is not in a ConfigMap")
	assert.Equal(t, "ssh:sshd_config", m["/etc/ssh/sshd_config"])
	assert.Equal(t, "ssh:ca_key.pub", m["/etc/ssh/ca/ca_key.pub"])
	secret := object[corev1.Secret](t, docs, "Secret/"+fullname)
	assert.Equal(t, values.SSH.CAKey, string(secret.Data["ca_key"]), "the CA key is in a Secret")
	assert.Equal(t, "ssh-ca:ca_key", m["/etc/ssh/ca/ca_key"])
	require.NotNil(t, volume(pod, "ssh-ca").Secret)
	assert.Equal(t, fullname, volume(pod, "ssh-ca").Secret.SecretName)
	assert.Equal(t, int32(0o400), *volume(pod, "ssh-ca").Secret.DefaultMode, "readable by root only")
	assert.NotContains(t, fmt.Sprint(c.Env), "PRIVATE KEY", "the CA key is not in the environment")
	assert.Equal(t, "yes", env(c)["SSH_HOST_CERT_ANY_NAME"], "no ssh.principals: certificates for any name, as the old rc.local signed them")
	assert.NotContains(t, env(c), "SSH_HOST_PRINCIPALS")

	home := object[corev1.PersistentVolumeClaim](t, docs, "PersistentVolumeClaim/"+fullname+"-home")
	assert.Equal(t, "keep", home.Annotations["helm.sh/resource-policy"])
	assert.Equal(t, "5Gi", home.Spec.Resources.Requests.Storage().String())
	assert.Equal(t, "standard", *home.Spec.StorageClassName)
	data := object[corev1.PersistentVolumeClaim](t, docs, "PersistentVolumeClaim/"+fullname+"-data")
	assert.Equal(t, "20Gi", data.Spec.Resources.Requests.Storage().String(), "extraMounts become claims")
	assert.Equal(t, "home", m["/home"])
	assert.Equal(t, fullname+"-home", volume(pod, "home").PersistentVolumeClaim.ClaimName)
	assert.Equal(t, "extramount-data", m["/data"])
	assert.Equal(t, fullname+"-data", volume(pod, "extramount-data").PersistentVolumeClaim.ClaimName)

	svc := object[corev1.Service](t, docs, "Service/"+fullname)
	assert.Equal(t, corev1.ServiceTypeLoadBalancer, svc.Spec.Type)
	assert.Equal(t, int32(22), svc.Spec.Ports[0].Port)
	assert.Equal(t, "login.example.com", svc.Annotations["external-dns.alpha.kubernetes.io/hostname"])
	assert.Equal(t, "2Gi", c.Resources.Limits.Memory().String())
	assert.Equal(t, "linux", pod.NodeSelector["kubernetes.io/os"])
	assert.Equal(t, "login", pod.Tolerations[0].Value)
	object[corev1.ServiceAccount](t, docs, "ServiceAccount/"+fullname)
	assert.Equal(t, fullname, pod.ServiceAccountName)

	assert.Nil(t, c.SecurityContext, "the runtime's defaults: not privileged")
	assert.NotContains(t, manifests, "SYS_ADMIN")
	assert.Equal(t, []string{"/sbin/boxinit", "status", "--ready"}, c.ReadinessProbe.Exec.Command)
	assert.Equal(t, 22, c.LivenessProbe.TCPSocket.Port.IntValue())
	assert.Empty(t, c.Command, "the image's ENTRYPOINT, boxinit, stays")
	assert.Equal(t, []string{"/usr/sbin/sshd", "-D", "-e"}, c.Args, "sshd is the main command")
	grace, err := time.ParseDuration(env(c)["BOXINIT_GRACE_PERIOD"])
	require.NoError(t, err)
	assert.Greater(t, time.Duration(*pod.TerminationGracePeriodSeconds)*time.Second, grace,
		"the kubelet waits longer than boxinit's grace period")
}

func TestChart_PutsHooksRcUserAndTheCrontabWhereBoxinitReadsThem(t *testing.T) {
	docs := documents(t, render(t, chartDir, "-f", "testdata/chart/new-values.yaml"))
	pod := object[appsv1.Deployment](t, docs, "Deployment/"+fullname).Spec.Template.Spec
	c := pod.Containers[0]
	m := mounts(c)
	assert.Equal(t, "hooks", m["/etc/boxinit.d"])
	require.NotNil(t, volume(pod, "hooks").ConfigMap)
	assert.Equal(t, int32(0o755), *volume(pod, "hooks").ConfigMap.DefaultMode, "hooks are executable")
	assert.Contains(t, object[corev1.ConfigMap](t, docs, "ConfigMap/"+fullname+"-hooks").Data["20-motd"], "/etc/motd")
	assert.Equal(t, "rc:rc.user", m["/etc/rc.user"])
	assert.Equal(t, "rc:crontab", m["/etc/cron.d/"+fullname])
	assert.Equal(t, "*/5 * * * * human date > /tmp/last-cron\n", object[corev1.ConfigMap](t, docs, "ConfigMap/"+fullname+"-rc").Data["crontab"])
	assert.Equal(t, "30s", env(c)["BOXINIT_GRACE_PERIOD"])
	assert.Equal(t, int64(35), *pod.TerminationGracePeriodSeconds)
	assert.Equal(t, "login-boxinit login-boxinit.default login-boxinit.default.svc login-boxinit.default.svc.cluster.local login.example.com 203.0.113.7",
		env(c)["SSH_HOST_PRINCIPALS"])
	assert.Equal(t, "Europe/Berlin", env(c)["TZ"])

	out, err := renderErr(t, chartDir, "--set-string", "hooks.10-bad\\.sh=true")
	require.Error(t, err)
	assert.Contains(t, out, `hooks: "10-bad.sh": a hook's name has letters, digits, '_' and '-' only`, "run-parts would skip it")
	out, err = renderErr(t, chartDir, "--set", "extraMounts[0].name=data")
	require.Error(t, err)
	assert.Contains(t, out, "at '/extraMounts/0': missing property 'path'", "the schema says which entry")
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
	docs := documents(t, render(t, dir, append(args, "--show-only", "templates/notes.yaml")...))
	return object[corev1.ConfigMap](t, docs, "ConfigMap/notes").Data["notes"]
}

func TestChart_NotesSayRcLocalIsNotRunAndWhereItsStepsGoNow(t *testing.T) {
	out := notes(t, "-f", "testdata/chart/custom.yaml")
	assert.Contains(t, out, "rcLocal is set but is NOT run any more")
	assert.Contains(t, out, "hooks:    scripts run as root after the user exists  (/etc/boxinit.d)")
	assert.Contains(t, out, "rcUser:   a script run as the user at every boot      (/etc/rc.user)")
	assert.Contains(t, out, "crontab:  jobs in system crontab format               (/etc/cron.d/login-boxinit)")
	assert.Contains(t, out, "@cert-authority * ssh-ed25519 AAAAC3", "no ssh.principals: certificates for any name")
	assert.NotContains(t, out, "privileged")
	assert.Contains(t, out, "  ssh-keygen -s ca_key -I human-key -n human ~/.ssh/id_ed25519.pub\n", "a user certificate instead of a key")
	assert.Contains(t, out, "A 1.x StatefulSet's /home was home-login-boxinit-0: set\nhome.existingClaim=home-login-boxinit-0", "an rcEnv-era release is told how to keep its /home")
	assert.Contains(t, out, "service.type LoadBalancer (was\nClusterIP)", "and which defaults changed")
	assert.NotContains(t, notes(t, "-f", "testdata/chart/custom.yaml", "--set", "home.existingClaim=home-login-boxinit-0"), "A 1.x StatefulSet's")
	assert.NotContains(t, notes(t, "-f", "testdata/chart/published/0.16.0/values.yaml"), "rcEnv layout", "cloud-server's values are not the rcEnv layout")

	out = notes(t, "--set", "securityContext.privileged=true")
	assert.Contains(t, out, "boxinit needs\nneither", "a copied privileged securityContext is pointed out")
	assert.NotContains(t, out, "rcLocal")
	out = notes(t, "--set", "securityContext.capabilities.add={SYS_ADMIN}")
	assert.Contains(t, out, "asks for privileged or SYS_ADMIN")
}

// The old custom.yaml, unchanged, under podman kube play. podman 4.3 lacks
// what the chart uses in Kubernetes, so the chart renders its test variant
// (podmanKubePlay=true): the same Deployment and claims (podman names the
// pod NAME-pod-0); ConfigMaps mounted as directories, found by
// boxinit through BOXINIT_ENV_FILE and by sshd through -f, instead of
// subPath mounts (podman ignores subPath); the CA key in the ConfigMap of
// /etc/ssh/ca instead of a Secret (podman 4.3 writes a Secret's data
// still base64-encoded, and ignores file modes); no containerPort (podman
// would publish it on the host's port 22). podman runs no probes: the test
// runs the rendered readiness command and dials the liveness port itself.
func TestChart_OldValuesBootUnprivilegedUnderPodmanAndSSHVerifiesTheHostCertificate(t *testing.T) {
	requireImage(t)
	values := readOldValues(t)
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
		"podmanKubePlay: true\nimage:\n  tag: %s\nextraEnv:\n  - name: BOXINIT_GITHUB_URL\n    value: http://%s:%d\n", tag, hostIP(t), l.Addr().(*net.TCPAddr).Port), 0o644))

	manifest := filepath.Join(t.TempDir(), "rendered.yaml")
	rendered := render(t, chartDir, "-f", "testdata/chart/custom.yaml", "-f", overlay)
	require.NoError(t, os.WriteFile(manifest, []byte(rendered), 0o644))
	volumes := []string{fullname + "-home", fullname + "-data", fullname + "-rc", fullname + "-ssh"}
	down := func() {
		_, _ = podman(t, "kube", "down", manifest)
		_, _ = podman(t, append([]string{"volume", "rm", "-f"}, volumes...)...)
	}
	down()
	out, err := podman(t, "kube", "play", manifest)
	require.NoError(t, err, out)
	const podName = fullname + "-pod-0"
	const name = podName + "-boxinit"
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := podman(t, "logs", name)
			t.Logf("container log:\n%s", logs)
		}
		down()
	})

	c := object[appsv1.Deployment](t, documents(t, rendered), "Deployment/"+fullname).Spec.Template.Spec.Containers[0]
	probe := append([]string{"exec", name}, c.ReadinessProbe.Exec.Command...)
	ready := func() {
		require.Eventually(t, func() bool { _, err := podman(t, probe...); return err == nil }, time.Minute, 200*time.Millisecond,
			"the chart's readinessProbe succeeds")
	}
	ready()
	priv, _ := podman(t, "inspect", name, "--format", "{{.HostConfig.Privileged}} {{.EffectiveCaps}}")
	assert.True(t, strings.HasPrefix(priv, "false"), priv)
	assert.NotContains(t, priv, "CAP_SYS_ADMIN")

	ip := podIP(t, name)
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(ip, c.LivenessProbe.TCPSocket.Port.String()), 5*time.Second)
	require.NoError(t, err, "the livenessProbe's port answers")
	conn.Close()

	// The client knows no host key, only the chart's CA for the Service's name.
	alias := fullname + ".default.svc.cluster.local"
	knownHosts := filepath.Join(t.TempDir(), "known_hosts")
	require.NoError(t, os.WriteFile(knownHosts, fmt.Appendf(nil, "@cert-authority %s %s\n", alias, values.SSH.CAKeyPub), 0o644))
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
		state, _ := podman(t, "pod", "inspect", podName, "--format", "{{.State}}")
		return strings.TrimSpace(state) == "Exited"
	}, 30*time.Second, 200*time.Millisecond, "the pod stops with its container")
	out, err = podman(t, "pod", "start", podName)
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

// The old chart, for the README's side-by-side table: its rc.local from
// custom.yaml, run the way the old pod ran it (privileged, `bash -c
// "mkdir /run/sshd; /etc/rc.local; touch /ready; exec sshd -e -D"`, host
// keys baked into its image), then restarted with the same writable layer.
// The script stops at useradd; the `;` carries on, so the pod comes up
// ready with every later step of the script skipped.
func TestOldRcLocal_OnRestartStopsAtUseraddYetThePodComesUpReady(t *testing.T) {
	requireImage(t)
	values := readOldValues(t)
	dir := t.TempDir()
	files := map[string]string{
		"rc.local": values.RcLocal,
		// No key import: ssh-import-id is not in the image, and the step
		// under test comes before it.
		"rc.env": "DEFAULT_USER=\"human\" \nDEFAULT_KEY=\"\" \nDEFAULT_KEY_IMPORT=\"\" \nSET_HOSTNAME=\"login-1\" \nCUSTOMIZE_REPO=\"\" \nCUSTOMIZE_CMD=\"\" \n",
		"ca_key": values.SSH.CAKey,
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
