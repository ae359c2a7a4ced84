package e2e

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// Every rendered object decodes strictly into its Kubernetes API type: a
// misspelt or misplaced field, or a value of the wrong type, fails here
// rather than in a cluster (there is none to validate against).
func TestChart_RendersOnlyFieldsTheKubernetesAPIKnows(t *testing.T) {
	for _, values := range [][]string{
		nil,
		{"-f", "testdata/chart/custom.yaml"},
		{"-f", "testdata/chart/new-values.yaml"},
		{"-f", "testdata/chart/custom.yaml", "--set", "podmanKubePlay=true"},
	} {
		docs := strings.Split(render(t, chartDir, values...), "\n---\n")
		kinds := 0
		for _, doc := range docs {
			var meta struct{ Kind string }
			require.NoError(t, yaml.Unmarshal([]byte(doc), &meta))
			var obj any
			switch meta.Kind {
			case "StatefulSet":
				obj = &appsv1.StatefulSet{}
			case "Pod":
				obj = &corev1.Pod{}
			case "PersistentVolumeClaim":
				obj = &corev1.PersistentVolumeClaim{}
			case "ConfigMap":
				obj = &corev1.ConfigMap{}
			case "Secret":
				obj = &corev1.Secret{}
			case "Service":
				obj = &corev1.Service{}
			case "ServiceAccount":
				obj = &corev1.ServiceAccount{}
			case "":
				continue // a comment-only document
			default:
				t.Errorf("%v: a %s the test does not know: add its type", values, meta.Kind)
				continue
			}
			kinds++
			assert.NoError(t, yaml.UnmarshalStrict([]byte(doc), obj), "%v: %s:\n%s", values, meta.Kind, doc)
		}
		assert.GreaterOrEqual(t, kinds, 3, "%v", values)
	}
}
