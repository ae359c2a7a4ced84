package e2e

import (
	"encoding/json"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"sigs.k8s.io/yaml"
)

// deployment016 is the spec of the Deployment cloud-server 0.16.0 renders
// for release myserver, reduced to what the upgrade touches: no strategy
// (the API server fills in RollingUpdate 25%/25%), its selector.
const deployment016 = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: myserver-cloud-server
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: cloud-server
      app.kubernetes.io/instance: myserver
  replicas: 1
  minReadySeconds: 0
  template:
    metadata:
      labels:
        app.kubernetes.io/name: cloud-server
        app.kubernetes.io/instance: myserver
    spec:
      containers:
        - name: cloud-server
          image: ghcr.io/mike-matera/cloud-server-ubuntu-jammy:release-20240107
`

// `helm upgrade` (Helm 3) patches the live object with a three-way
// strategic merge of the release's old manifest, the new one and the live
// object, computed as below. Recreate next to the live RollingUpdate
// settings is refused by Kubernetes ("spec.strategy.rollingUpdate:
// Forbidden: may not be specified when strategy `type` is 'Recreate'"):
// the patch must delete them ($retainKeys of DeploymentStrategy does; the
// chart's `rollingUpdate: null` does it too for tools that merge without
// the API's patch metadata). And the selector must not change.
func TestChart_UpgradePatchFrom016SwitchesToRecreateAndKeepsTheSelector(t *testing.T) {
	toJSON := func(y string) []byte {
		b, err := yaml.YAMLToJSON([]byte(y))
		require.NoError(t, err)
		return b
	}
	var live appsv1.Deployment
	require.NoError(t, yaml.Unmarshal([]byte(deployment016), &live))
	live.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
		RollingUpdate: &appsv1.RollingUpdateDeployment{}} // the API server's defaults
	liveJSON, err := json.Marshal(live)
	require.NoError(t, err)

	out, err := exec.Command(helm(t), "template", "myserver", chartDir, "--set", "nameOverride=cloud-server", "--set", "user=alice").CombinedOutput()
	require.NoError(t, err, string(out))
	newDocs := documents(t, string(out))
	meta, err := strategicpatch.NewPatchMetaFromStruct(appsv1.Deployment{})
	require.NoError(t, err)
	patch, err := strategicpatch.CreateThreeWayMergePatch(toJSON(deployment016), toJSON(newDocs["Deployment/myserver-cloud-server"]), liveJSON, meta, true)
	require.NoError(t, err)
	merged, err := strategicpatch.StrategicMergePatch(liveJSON, patch, appsv1.Deployment{})
	require.NoError(t, err)
	var after appsv1.Deployment
	require.NoError(t, json.Unmarshal(merged, &after))
	assert.Equal(t, appsv1.RecreateDeploymentStrategyType, after.Spec.Strategy.Type)
	assert.Nil(t, after.Spec.Strategy.RollingUpdate, "the live RollingUpdate settings are deleted")
	assert.Equal(t, live.Spec.Selector, after.Spec.Selector, "the selector is not touched")
	assert.Equal(t, "boxinit", after.Spec.Template.Spec.Containers[0].Name)
}
