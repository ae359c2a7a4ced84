package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// Every rendered object decodes strictly into its Kubernetes API type: a
// misspelt or misplaced field, or a value of the wrong type, fails here
// rather than in a cluster (there is none to validate against).
func TestChart_RendersOnlyFieldsTheKubernetesAPIKnows(t *testing.T) {
	decoders := map[string]func(map[string]string, string){
		"Deployment":            func(d map[string]string, k string) { object[appsv1.Deployment](t, d, k) },
		"PersistentVolumeClaim": func(d map[string]string, k string) { object[corev1.PersistentVolumeClaim](t, d, k) },
		"ConfigMap":             func(d map[string]string, k string) { object[corev1.ConfigMap](t, d, k) },
		"Secret":                func(d map[string]string, k string) { object[corev1.Secret](t, d, k) },
		"Service":               func(d map[string]string, k string) { object[corev1.Service](t, d, k) },
		"ServiceAccount":        func(d map[string]string, k string) { object[corev1.ServiceAccount](t, d, k) },
	}
	for _, values := range [][]string{
		nil,
		{"-f", "testdata/chart/custom.yaml"},
		{"-f", "testdata/chart/new-values.yaml"},
		{"-f", "testdata/chart/custom.yaml", "--set", "podmanKubePlay=true"},
		{"-f", "testdata/chart/cloud-server.yaml"},
		{"-f", "testdata/chart/published/0.16.0/values.yaml", "--set", "hostUsers=false"},
	} {
		docs := documents(t, render(t, chartDir, values...))
		assert.GreaterOrEqual(t, len(docs), 3, "%v", values)
		for kindName := range docs {
			kind, _, _ := strings.Cut(kindName, "/")
			decode, ok := decoders[kind]
			if !assert.True(t, ok, "%v: a %s the test does not know: add its type", values, kind) {
				continue
			}
			decode(docs, kindName)
		}
	}
}

// values.schema.json: a key the chart does not know would be ignored
// silently (cloud-server's `usr: alice` made no account at all), so helm
// refuses it, naming it; so is a value of the wrong type.
func TestChart_SchemaRefusesMisspeltKeysAndWrongTypesWithAMessage(t *testing.T) {
	for _, tc := range []struct{ set, want string }{
		{"usr=alice", "additional properties 'usr' not allowed"},
		{"ssh.ca_keypub=x", "at '/ssh': additional properties 'ca_keypub' not allowed"},
		{"service.typ=LoadBalancer", "at '/service': additional properties 'typ' not allowed"},
		{"extraMounts[0].name=data,extraMounts[0].path=/data,extraMounts[0].sise=1Gi", "at '/extraMounts/0': additional properties 'sise' not allowed"},
		{"service.type=Loadbalancer", "at '/service/type'"},
		{"user=Alice", "at '/user'"},
		{"privileged=yes", "at '/privileged'"},
	} {
		args := []string{"--set", tc.set}
		if strings.HasPrefix(tc.set, "user=") || strings.HasPrefix(tc.set, "privileged=") {
			args = []string{"--set-string", tc.set}
		}
		out, err := renderErr(t, chartDir, args...)
		require.Error(t, err, tc.set)
		assert.Contains(t, out, "values don't meet the specifications of the schema", tc.set)
		assert.Contains(t, out, tc.want, tc.set)

		lint, err := exec.Command(helm(t), append([]string{"lint", chartDir}, args...)...).CombinedOutput()
		assert.Error(t, err, "helm lint %s", tc.set)
		assert.Contains(t, string(lint), tc.want)
	}
	out, err := renderErr(t, chartDir, "--set-string", "userID=abc")
	require.Error(t, err)
	assert.Contains(t, out, "at '/userID'")
}

// Every key of every published cloud-server values.yaml, and of the
// rcEnv-era and cloud-server custom.yaml files, passes the schema.
func TestChart_SchemaAcceptsEveryOldKey(t *testing.T) {
	files, err := filepath.Glob("testdata/chart/published/*/values.yaml")
	require.NoError(t, err)
	files = append(files, "testdata/chart/custom.yaml", "testdata/chart/cloud-server.yaml", "testdata/chart/new-values.yaml")
	for _, f := range files {
		out, err := exec.Command(helm(t), "lint", "--strict", chartDir, "-f", f).CombinedOutput()
		assert.NoError(t, err, "%s:\n%s", f, out)
	}
}
