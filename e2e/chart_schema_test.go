package e2e

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
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
