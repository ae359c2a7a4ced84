package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/boxinit/boxinit/internal/boot"
)

// The published cloud-server chart (mike-matera/cloud-native-server,
// 0.14.1-0.16.0; testdata/chart/published/ORIGIN) and what boxinit's chart
// makes of its values. The object names and selectors below are those the
// 0.16.0 chart renders (checked with helm template against its released
// archive): an upgrade in place must find them unchanged.

// loadRcEnv reads a rendered rc.env with boxinit's own loader, over the
// container's environment, in a Debian root: what boot would do with it.
func loadRcEnv(t *testing.T, rcEnv string, environ []string) *boot.Config {
	t.Helper()
	root := t.TempDir()
	require.NoError(t, os.CopyFS(root, os.DirFS("../testdata/roots/debian")))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc/rc.env"), []byte(rcEnv), 0o644))
	cfg, err := boot.Load(boot.Flags{Root: root, EnvFile: "/etc/rc.env", UserScript: "/etc/rc.user",
		HooksDir: "/etc/boxinit.d", ReadyFile: "/ready"}, environ)
	require.NoError(t, err, "boxinit refuses the rendered rc.env:\n%s", rcEnv)
	return cfg
}

func environ(c corev1.Container) []string {
	var out []string
	for _, e := range c.Env {
		out = append(out, e.Name+"="+e.Value)
	}
	return out
}

func publishedVersions(t *testing.T) []string {
	entries, err := os.ReadDir("testdata/chart/published")
	require.NoError(t, err)
	var versions []string
	for _, e := range entries {
		if e.IsDir() {
			versions = append(versions, e.Name())
		}
	}
	require.Len(t, versions, 6, "0.14.1, 0.15.0-0.15.3, 0.16.0")
	return versions
}

func TestChart_RendersEachPublishedCloudServerDefaultsToTheAccountTheyMade(t *testing.T) {
	for _, version := range publishedVersions(t) {
		t.Run(version, func(t *testing.T) {
			values := filepath.Join("testdata/chart/published", version, "values.yaml")
			docs := documents(t, render(t, chartDir, "-f", values))
			dep := object[appsv1.Deployment](t, docs, "Deployment/"+fullname)
			pod := dep.Spec.Template.Spec
			c := pod.Containers[0]
			rc := object[corev1.ConfigMap](t, docs, "ConfigMap/"+fullname+"-rc")

			cfg := loadRcEnv(t, rc.Data["rc.env"], environ(c))
			require.NotNil(t, cfg.User, "user: human")
			assert.Equal(t, "human", cfg.User.Name)
			assert.Equal(t, 10000, cfg.User.UID, "userID: 10000")
			assert.Equal(t, "myserver", cfg.Hostname, "hostName: myserver")
			assert.Empty(t, cfg.Keys)
			assert.Empty(t, cfg.Imports)
			assert.Empty(t, cfg.CustomizeRepo)
			assert.Empty(t, cfg.CustomizeCommand)
			assert.Equal(t, "myserver", pod.Hostname, "the kernel's host name, unprivileged")

			assert.NotContains(t, rc.Data, "rc.user", "the default rcUser (it overwrote authorized_keys) is skipped")
			assert.NotContains(t, mounts(c), "/etc/rc.user")
			assert.NotContains(t, rc.Data, "rc.local")
			assert.Nil(t, c.SecurityContext, "privileged: true is not honoured")

			home := object[corev1.PersistentVolumeClaim](t, docs, "PersistentVolumeClaim/"+fullname+"-home")
			assert.Equal(t, "2Gi", home.Spec.Resources.Requests.Storage().String(), "homeSize")
			assert.Nil(t, home.Spec.StorageClassName, "homeStorageClassName is commented out: the cluster's default class")
			assert.Equal(t, "keep", home.Annotations["helm.sh/resource-policy"])
			svc := object[corev1.Service](t, docs, "Service/"+fullname)
			assert.Equal(t, corev1.ServiceTypeLoadBalancer, svc.Spec.Type, "the quick start reads the EXTERNAL-IP")
			assert.Equal(t, int32(22), svc.Spec.Ports[0].Port)
			assert.Equal(t, "1", c.Resources.Requests.Cpu().String())
			assert.Equal(t, "2Gi", c.Resources.Requests.Memory().String())
			assert.Equal(t, "1", c.Resources.Limits.Cpu().String())
			assert.Equal(t, "2Gi", c.Resources.Limits.Memory().String())
			assert.Equal(t, "ghcr.io/mike-matera/cloud-server-ubuntu-jammy:dev", c.Image)
			assert.Contains(t, object[corev1.ConfigMap](t, docs, "ConfigMap/"+fullname+"-ssh").Data["sshd_config"],
				"HostCertificate /etc/ssh/ssh_host_rsa_key-cert.pub", "ssh.sshd_config as published")

			out := notes(t, "-f", values)
			assert.Contains(t, out, "Log in as human at the Service's EXTERNAL-IP")
			assert.Contains(t, out, "  ssh human@<EXTERNAL-IP>\n")
			assert.Contains(t, out, "NOTE: privileged: true is no longer needed")
			assert.Contains(t, out, "NOTE: rcLocal is cloud-server's default boot script: skipped")
			assert.Contains(t, out, "NOTE: rcUser is cloud-server's default: skipped")
			assert.Contains(t, out, "an image of the\ncloud-server chart without /sbin/boxinit")
		})
	}
}

// Every value of 0.16's values.yaml, set: what it becomes in the objects.
func TestChart_GivesEveryCloudServerValueItsMeaning(t *testing.T) {
	manifests := render(t, chartDir, "-f", "testdata/chart/cloud-server.yaml")
	docs := documents(t, manifests)
	dep := object[appsv1.Deployment](t, docs, "Deployment/"+fullname)
	pod := dep.Spec.Template.Spec
	c := pod.Containers[0]
	m := mounts(c)
	rc := object[corev1.ConfigMap](t, docs, "ConfigMap/"+fullname+"-rc")

	cfg := loadRcEnv(t, rc.Data["rc.env"], environ(c))
	assert.Equal(t, "alice", cfg.User.Name, "user")
	assert.Equal(t, 2000, cfg.User.UID, "userID")
	assert.Equal(t, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDwiNG7nkgrnGZv9+3XrYT5km0s7eFdDDIlVGvk7QjNw alice@laptop", cfg.Keys, "userSSHKey")
	assert.Equal(t, []string{"gh:alice", "lp:alice"}, cfg.Imports, "userSSHImport")
	assert.Equal(t, "https://git.example.com/alice/dotfiles.git", cfg.CustomizeRepo, "customizeRepo")
	assert.Equal(t, `./install.sh --user "$USER" 'quoted'`, cfg.CustomizeRepoCommand, "customizeRepoCommand, verbatim: quotes and $ reach bash -c")
	assert.Equal(t, `echo it's $HOME > ~/.motd`, cfg.CustomizeCommand, "customizeCommand, verbatim")
	assert.Equal(t, "/bin/sh", cfg.User.Shell, "rcEnv adds variables")
	assert.Equal(t, "devbox2", cfg.Hostname, "rcEnv comes after hostName and overrides it, as in 0.16")
	assert.Equal(t, "devbox2", pod.Hostname, "the pod's hostname follows")
	assert.True(t, cfg.HostCertAnyName, "no ssh.principals: certificates for any name, as 0.16's")

	assert.Equal(t, "#!/bin/bash\nmkdir -p ~/bin\n", rc.Data["rc.user"], "a user's own rcUser runs")
	assert.Equal(t, "rc:rc.user", m["/etc/rc.user"])
	assert.NotContains(t, manifests, "apt-get install -y htop", "rcLocal is rendered nowhere")
	assert.Nil(t, c.SecurityContext, "privileged: true is not honoured")
	assert.Nil(t, pod.HostUsers, "hostUsers not asked for")

	assert.Equal(t, []corev1.ContainerPort{{Name: "ssh", ContainerPort: 22, Protocol: "TCP"}, {Name: "http", ContainerPort: 8080, Protocol: "TCP"}}, c.Ports, "extraPorts")
	svc := object[corev1.Service](t, docs, "Service/"+fullname)
	require.Len(t, svc.Spec.Ports, 2)
	assert.Equal(t, int32(2222), svc.Spec.Ports[0].Port, "service.port")
	assert.Equal(t, "ssh", svc.Spec.Ports[0].TargetPort.String())
	assert.Equal(t, int32(8080), svc.Spec.Ports[1].Port)
	assert.Equal(t, "http", svc.Spec.Ports[1].TargetPort.String())
	assert.Equal(t, corev1.ServiceTypeLoadBalancer, svc.Spec.Type)
	assert.Equal(t, "10.0.0.100", svc.Spec.LoadBalancerIP, "service.loadBalancerIP")
	assert.Equal(t, "cloud-share-key", svc.Annotations["metallb.universe.tf/allow-shared-ip"])

	home := object[corev1.PersistentVolumeClaim](t, docs, "PersistentVolumeClaim/"+fullname+"-home")
	assert.Equal(t, "8Gi", home.Spec.Resources.Requests.Storage().String(), "homeSize")
	assert.Equal(t, "fast", *home.Spec.StorageClassName, "homeStorageClassName")
	assert.Equal(t, "daily", home.Annotations["backup.example.com/schedule"], "pvcAnnotations")
	data := object[corev1.PersistentVolumeClaim](t, docs, "PersistentVolumeClaim/"+fullname+"-data")
	assert.Equal(t, "5Gi", data.Spec.Resources.Requests.Storage().String())
	assert.Equal(t, "hdd", *data.Spec.StorageClassName)
	assert.Equal(t, "keep", data.Annotations["helm.sh/resource-policy"])
	assert.Equal(t, "extramount-data", m["/data"], "extraMounts: 0.16's volume name")
	assert.Equal(t, fullname+"-data", volume(pod, "extramount-data").PersistentVolumeClaim.ClaimName)

	ssh := object[corev1.ConfigMap](t, docs, "ConfigMap/"+fullname+"-ssh")
	assert.Contains(t, ssh.Data["sshd_config"], "HostCertificate /etc/ssh/ssh_host_rsa_key-cert.pub")
	assert.Equal(t, "ssh:sshd_config", m["/etc/ssh/sshd_config"])
	secret := object[corev1.Secret](t, docs, "Secret/"+fullname)
	assert.Contains(t, string(secret.Data["ca_key"]), "BEGIN OPENSSH PRIVATE KEY")
	assert.Contains(t, string(secret.Data["ca_key.pub"]), "ssh-ed25519 AAAAC3", "both keys, as 0.16's Secret")
	assert.Equal(t, "ssh-ca:ca_key", m["/etc/ssh/ca/ca_key"])

	assert.Equal(t, "registry.example.com/boxinit-debian:1.2", c.Image)
	assert.Equal(t, corev1.PullAlways, c.ImagePullPolicy)
	assert.Equal(t, []corev1.LocalObjectReference{{Name: "regcred"}}, pod.ImagePullSecrets)
	assert.Equal(t, "500m", c.Resources.Requests.Cpu().String())
	assert.Equal(t, "4Gi", c.Resources.Limits.Memory().String())
	sa := object[corev1.ServiceAccount](t, docs, "ServiceAccount/devbox-sa")
	assert.Equal(t, "devbox", sa.Annotations["iam.example.com/role"])
	assert.Equal(t, "devbox-sa", pod.ServiceAccountName)
	assert.Equal(t, "teaching", dep.Spec.Template.Annotations["example.com/team"], "podAnnotations")
	assert.Equal(t, "amd64", pod.NodeSelector["kubernetes.io/arch"])
	assert.Equal(t, "students", pod.Tolerations[0].Value)
	assert.Equal(t, "example.com/pool", pod.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0].MatchExpressions[0].Key)

	out := notes(t, "-f", "testdata/chart/cloud-server.yaml")
	assert.Contains(t, out, "  ssh -p 2222 alice@<EXTERNAL-IP>\n", "the real user and port")
	assert.Contains(t, out, "  @cert-authority * ssh-ed25519 AAAAC3", "the old known_hosts line")
	assert.Contains(t, out, "rcLocal is set but is NOT run any more")
	assert.NotContains(t, out, "rcUser is cloud-server's default", "a user's own rcUser runs")
}

// `helm upgrade myserver ./images/chart -f custom.yaml --set
// nameOverride=cloud-server` over a 0.16.0 release: the same Deployment,
// selector (immutable), claims, Service and Secret.
func TestChart_UpgradesACloudServerReleaseInPlaceWithNameOverride(t *testing.T) {
	values := filepath.Join(t.TempDir(), "custom.yaml")
	require.NoError(t, os.WriteFile(values, []byte("user: alice\nextraMounts:\n  - {name: data, path: /data, size: 5Gi}\nssh:\n  ca_key: key\n  ca_key_pub: pub\n"), 0o644))
	template := func(args ...string) map[string]string {
		out, err := exec.Command(helm(t), append([]string{"template", "myserver", chartDir, "-f", values}, args...)...).CombinedOutput()
		require.NoError(t, err, string(out))
		return documents(t, string(out))
	}
	docs := template("--set", "nameOverride=cloud-server")
	const old = "myserver-cloud-server"
	selector := map[string]string{"app.kubernetes.io/name": "cloud-server", "app.kubernetes.io/instance": "myserver"}
	dep := object[appsv1.Deployment](t, docs, "Deployment/"+old)
	assert.Equal(t, selector, dep.Spec.Selector.MatchLabels, "0.16's selector: Kubernetes refuses to change it")
	assert.Contains(t, docs["Deployment/"+old], "rollingUpdate: null", "deletes 0.16's RollingUpdate settings, which Recreate forbids")
	assert.Equal(t, selector, object[corev1.Service](t, docs, "Service/"+old).Spec.Selector, "the Service, and so its LoadBalancer address")
	home := object[corev1.PersistentVolumeClaim](t, docs, "PersistentVolumeClaim/"+old+"-home")
	assert.Equal(t, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}, home.Spec.AccessModes, "a claim's spec is immutable: as 0.16 rendered it")
	assert.Equal(t, corev1.PersistentVolumeFilesystem, *home.Spec.VolumeMode)
	object[corev1.PersistentVolumeClaim](t, docs, "PersistentVolumeClaim/"+old+"-data")
	assert.Equal(t, old+"-home", volume(dep.Spec.Template.Spec, "home").PersistentVolumeClaim.ClaimName)
	assert.Equal(t, old, object[corev1.Secret](t, docs, "Secret/"+old).Name, "the CA Secret keeps its name")

	docs = template("--set", "fullnameOverride="+old)
	assert.NotEqual(t, selector, object[appsv1.Deployment](t, docs, "Deployment/"+old).Spec.Selector.MatchLabels,
		"fullnameOverride keeps the names but not the selector: the upgrade would fail")

	// 0.14.1-0.15.3 ran a StatefulSet: its claims are named after it.
	docs = template("--set", "nameOverride=cloud-server", "--set", "home.existingClaim=home-"+old+"-0",
		"--set", "extraMounts[0].name=data,extraMounts[0].path=/data,extraMounts[0].existingClaim=data-"+old+"-0")
	pod := object[appsv1.Deployment](t, docs, "Deployment/"+old).Spec.Template.Spec
	assert.Equal(t, "home-"+old+"-0", volume(pod, "home").PersistentVolumeClaim.ClaimName)
	assert.Equal(t, "data-"+old+"-0", volume(pod, "extramount-data").PersistentVolumeClaim.ClaimName)
	for kindName := range docs {
		assert.False(t, strings.HasPrefix(kindName, "PersistentVolumeClaim/"), "no new claim next to an existing one: %s", kindName)
	}
}

func TestChart_MountsTheCAKeysOfAnExistingSecret(t *testing.T) {
	docs := documents(t, render(t, chartDir, "--set", "ssh.existingSecret=my-ca"))
	pod := object[appsv1.Deployment](t, docs, "Deployment/"+fullname).Spec.Template.Spec
	m := mounts(pod.Containers[0])
	assert.Equal(t, "my-ca", volume(pod, "ssh-ca").Secret.SecretName)
	assert.Equal(t, "ssh-ca:ca_key", m["/etc/ssh/ca/ca_key"])
	assert.Equal(t, "ssh-ca:ca_key.pub", m["/etc/ssh/ca/ca_key.pub"], "TrustedUserCAKeys")
	assert.NotContains(t, docs, "Secret/"+fullname)
	assert.Equal(t, "yes", env(pod.Containers[0])["SSH_HOST_CERT_ANY_NAME"])
}

func TestChart_HostUsersFalsePutsThePodInAUserNamespace(t *testing.T) {
	pod := object[appsv1.Deployment](t, documents(t, render(t, chartDir, "--set", "hostUsers=false")), "Deployment/"+fullname).Spec.Template.Spec
	require.NotNil(t, pod.HostUsers)
	assert.False(t, *pod.HostUsers)
}

func TestChart_PrincipalsRestrictTheHostCertificatesToTheirNames(t *testing.T) {
	docs := documents(t, render(t, chartDir, "--set", "ssh.ca_key=k", "--set", "ssh.principals={203.0.113.7}"))
	c := object[appsv1.Deployment](t, docs, "Deployment/"+fullname).Spec.Template.Spec.Containers[0]
	cfg := loadRcEnv(t, object[corev1.ConfigMap](t, docs, "ConfigMap/"+fullname+"-rc").Data["rc.env"], environ(c))
	assert.False(t, cfg.HostCertAnyName)
	assert.Equal(t, []string{"login-boxinit", "login-boxinit.default", "login-boxinit.default.svc", "login-boxinit.default.svc.cluster.local", "203.0.113.7"}, cfg.HostPrincipals)
}

// Without values, the chart makes what 0.16's defaults made; values in the
// older layout (rcEnv sets DEFAULT_USER) get none of those defaults.
func TestChart_Applies016DefaultsOnlyWhenRcEnvDoesNotSetTheUser(t *testing.T) {
	rcEnvOf := func(args ...string) *boot.Config {
		docs := documents(t, render(t, chartDir, args...))
		c := object[appsv1.Deployment](t, docs, "Deployment/"+fullname).Spec.Template.Spec.Containers[0]
		return loadRcEnv(t, object[corev1.ConfigMap](t, docs, "ConfigMap/"+fullname+"-rc").Data["rc.env"], environ(c))
	}
	cfg := rcEnvOf()
	assert.Equal(t, "human", cfg.User.Name)
	assert.Equal(t, 10000, cfg.User.UID)
	assert.Equal(t, "myserver", cfg.Hostname)

	cfg = rcEnvOf("--set", "user=alice")
	assert.Equal(t, "alice", cfg.User.Name, "the quick start's --set user=$USER")
	assert.Equal(t, 10000, cfg.User.UID)

	cfg = rcEnvOf("-f", "testdata/chart/custom.yaml")
	assert.Equal(t, "human", cfg.User.Name)
	assert.True(t, cfg.UIDAuto, "no DEFAULT_USER_ID: the first free uid, as before, so an existing home keeps its owner")
	assert.Equal(t, "login-1", cfg.Hostname)

	cfg = rcEnvOf("-f", "testdata/chart/custom.yaml", "--set", "userID=1500")
	assert.Equal(t, 1500, cfg.User.UID, "a value set next to an rcEnv-era rcEnv still counts")
}

func TestChart_NotesSayWhenTheHostNameCannotBeThePodsHostname(t *testing.T) {
	out := notes(t, "--set", "hostName=MyHost.example.com")
	assert.Contains(t, out, "NOTE: the host name MyHost.example.com is not a DNS label")
	pod := object[appsv1.Deployment](t, documents(t, render(t, chartDir, "--set", "hostName=MyHost.example.com")), "Deployment/"+fullname).Spec.Template.Spec
	assert.Empty(t, pod.Hostname, "Kubernetes would refuse it")
	assert.NotContains(t, notes(t), "not a DNS label")
	noUser := filepath.Join(t.TempDir(), "values.yaml")
	require.NoError(t, os.WriteFile(noUser, []byte("rcEnv: |\n  DEFAULT_USER=\"\"\n"), 0o644))
	assert.Contains(t, notes(t, "-f", noUser), "NOTE: no user is set", "the rcEnv layout's default: nobody can log in, and the notes say so")
}
