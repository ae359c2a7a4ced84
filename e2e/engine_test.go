package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// engine is the container engine the tests drive, picked as make image
// picks it (scripts/engine.sh): $ENGINE (podman or docker), else podman
// when it is installed, else docker. The images are the same; only podman
// has `kube play`, so those tests skip under docker.
var engine = pickEngine(os.Getenv("ENGINE"), func(name string) bool { _, err := exec.LookPath(name); return err == nil })

func pickEngine(env string, installed func(string) bool) string {
	switch {
	case env != "":
		return env
	case installed("podman"):
		return "podman"
	case installed("docker"):
		return "docker"
	}
	return "podman"
}

// engineArgs spells a podman command line the way engine takes it. Where
// docker differs: `rm -t N` (docker rm has no timeout: dropped, -f kills
// at once anyway) and `image exists` (docker: `image inspect`).
func engineArgs(engine string, args []string) []string {
	if engine != "docker" || len(args) == 0 {
		return args
	}
	out := slices.Clone(args)
	switch {
	case args[0] == "rm":
		for i := 1; i < len(out); i++ {
			if out[i] == "-t" && i+1 < len(out) {
				out = slices.Delete(out, i, i+2)
				i--
			}
		}
	case len(args) > 1 && args[0] == "image" && args[1] == "exists":
		out[1] = "inspect"
	}
	return out
}

// runEngine runs the engine with a podman-style command line and returns
// its combined output. `kube …` skips the test under docker.
func runEngine(t *testing.T, args ...string) (string, error) {
	t.Helper()
	if engine == "docker" && len(args) > 0 && args[0] == "kube" {
		t.Skip("podman kube play: docker has none (ENGINE=docker); run the Kubernetes tests with podman")
	}
	out, err := exec.Command(engine, engineArgs(engine, args)...).CombinedOutput()
	return string(out), err
}

// podman is runEngine under its old name, for the tests that still call it.
func podman(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return runEngine(t, args...)
}

func imageExists(name string) bool {
	return exec.Command(engine, engineArgs(engine, []string{"image", "exists", name})...).Run() == nil
}

// requireKubePlay skips a test that needs podman kube play.
func requireKubePlay(t *testing.T) {
	if engine != "podman" {
		t.Skipf("requires podman kube play; the engine is %s (ENGINE=podman to run it)", engine)
	}
}

func TestEngine_PodmanWhenInstalledElseDockerAndENGINEWins(t *testing.T) {
	has := func(names ...string) func(string) bool {
		return func(n string) bool { return slices.Contains(names, n) }
	}
	assert.Equal(t, "podman", pickEngine("", has("podman", "docker")))
	assert.Equal(t, "docker", pickEngine("", has("docker")))
	assert.Equal(t, "podman", pickEngine("", has()), "what make deps installs")
	assert.Equal(t, "docker", pickEngine("docker", has("podman", "docker")))
}

func TestEngine_DockerGetsItsOwnSpellingOfRmAndImageExists(t *testing.T) {
	for _, tc := range []struct{ engine, in, want string }{
		{"docker", "rm -f -t 0 box", "rm -f box"},
		{"docker", "rm -f box", "rm -f box"},
		{"docker", "image exists localhost/boxinit-debian:dev", "image inspect localhost/boxinit-debian:dev"},
		{"docker", "stop -t 20 box", "stop -t 20 box"},
		{"docker", "run --rm -t img sh", "run --rm -t img sh"},
		{"podman", "rm -f -t 0 box", "rm -f -t 0 box"},
		{"podman", "image exists img", "image exists img"},
	} {
		assert.Equal(t, tc.want, strings.Join(engineArgs(tc.engine, strings.Fields(tc.in)), " "), "%s %s", tc.engine, tc.in)
	}
}

// fakeEngine puts a NAME on a fresh PATH (with the basic tools) that
// records its arguments in log and answers `exec … status` as a ready
// boxinit would.
func fakeEngine(t *testing.T, name string) (bin, log string) {
	bin = t.TempDir()
	log = filepath.Join(t.TempDir(), name+".log")
	script := `#!/bin/sh
echo "$*" >> ` + log + `
case "$*" in
*"status --ready") exit 0 ;;
*" boxinit status") echo "state: ready since (fake ` + name + `)" ;;
"image inspect"*) exit 0 ;;
esac
`
	require.NoError(t, os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755))
	for _, tool := range []string{"ssh-keygen", "cat", "mkdir", "seq", "sleep", "dirname", "awk", "flock"} {
		if p, err := exec.LookPath(tool); err == nil {
			require.NoError(t, os.Symlink(p, filepath.Join(bin, tool)))
		}
	}
	return bin, log
}

// make demo with ENGINE=docker drives docker, never podman: a fake docker
// on PATH records what the script asks of it (there is no Docker daemon
// where this is developed; the images themselves are not built here).
func TestDemoScript_WithENGINEDockerRunsTheImageWithDocker(t *testing.T) {
	bin, log := fakeEngine(t, "docker")
	dir := t.TempDir()
	cmd := exec.Command("bash", "../scripts/demo.sh")
	cmd.Env = []string{"PATH=" + bin, "ENGINE=docker", "BOXINIT_TAG=x1", "DEMO_DIR=" + dir, "PORT=2299"}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	calls, err := os.ReadFile(log)
	require.NoError(t, err)
	assert.Contains(t, string(calls), "run -d --name boxinit-demo -p 127.0.0.1:2299:22 -p 127.0.0.1:8080:80 -v "+dir+"/rc.env:/etc/rc.env:ro --entrypoint /sbin/boxinit localhost/boxinit-demo:x1\n",
		"the demo image, booted like a VM: no command, sshd from ssh.service")
	assert.Contains(t, string(calls), "exec boxinit-demo boxinit status --ready\n")
	assert.Contains(t, string(out), "state: ready since (fake docker)")
	assert.Contains(t, string(out), "ssh -p 2299 -i "+dir+"/id_ed25519")
	assert.Contains(t, string(out), "docker logs boxinit-demo")
	assert.NotContains(t, string(out), "podman")
	assert.Contains(t, readFile(t, filepath.Join(dir, "rc.env")), `DEFAULT_USER="demo"`)
}

func TestBaseImageScript_WithDockerAsksDockerAndLeavesPodmansConfigAlone(t *testing.T) {
	bin, log := fakeEngine(t, "docker")
	cmd := exec.Command("bash", "../scripts/base-image.sh")
	cmd.Env = []string{"PATH=" + bin, "ENGINE=docker", "BOXINIT_CACHE=" + t.TempDir()}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, "image inspect localhost/boxinit-base:bookworm\n", readFile(t, log), "the image is there: nothing else to do")
}

func TestEngineScript_PicksAsTheTestsDo(t *testing.T) {
	for _, tc := range []struct {
		installed []string
		env, want string
	}{
		{[]string{"podman", "docker"}, "", "podman\n"},
		{[]string{"docker"}, "", "docker\n"},
		{nil, "", "podman\n"},
		{[]string{"podman"}, "docker", "docker\n"},
	} {
		bin := t.TempDir()
		for _, n := range tc.installed {
			require.NoError(t, os.WriteFile(filepath.Join(bin, n), []byte("#!/bin/sh\n"), 0o755))
		}
		cmd := exec.Command("/bin/sh", "../scripts/engine.sh")
		cmd.Env = []string{"PATH=" + bin, "ENGINE=" + tc.env}
		out, err := cmd.Output()
		require.NoError(t, err)
		assert.Equal(t, tc.want, string(out), "%v ENGINE=%s", tc.installed, tc.env)
		assert.Equal(t, strings.TrimSpace(tc.want), pickEngine(tc.env, func(n string) bool { return slices.Contains(tc.installed, n) }),
			"the e2e tests pick the same")
	}
	cmd := exec.Command("/bin/sh", "../scripts/engine.sh")
	cmd.Env = []string{"ENGINE=kubectl"}
	out, err := cmd.CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(out), "ENGINE=kubectl: want podman or docker")
}

// make -n: with ENGINE=docker every image command is docker's.
func TestMakefile_ENGINEDockerBuildsTheImagesWithDocker(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("requires make")
	}
	for _, target := range []string{"image", "demo"} {
		out, err := exec.Command("make", "-n", "-C", "..", target, "ENGINE=docker", "TAG=t1").CombinedOutput()
		require.NoError(t, err, "%s", out)
		assert.Contains(t, string(out), "docker build -q --build-arg BASE=localhost/boxinit-base:bookworm -t localhost/boxinit-debian:t1 images/debian")
		assert.Contains(t, string(out), "docker build -q -t localhost/boxinit-minimal:t1 images/minimal")
		assert.NotContains(t, string(out), "podman")
	}
	out, err := exec.Command("make", "-n", "-C", "..", "demo", "ENGINE=docker").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "docker build -q --network host --build-arg BASE=localhost/boxinit-base:bookworm --build-arg EXTRA_PACKAGES=nginx-light")
	assert.Less(t, strings.Index(string(out), "./scripts/deps.sh demo"), strings.Index(string(out), "docker build"), "make demo installs what it needs first")
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// make deps with docker as the engine installs no podman; with podman (or
// neither installed) it does. A stand-in dpkg-query records what deps.sh
// asks about and says everything is installed, so nothing is installed.
func TestDepsScript_InstallsPodmanOnlyWhenItIsTheEngine(t *testing.T) {
	for _, tc := range []struct {
		env        string
		wantPodman bool
	}{{"docker", false}, {"podman", true}} {
		bin, _ := fakeEngine(t, "go")
		log := filepath.Join(t.TempDir(), "asked")
		require.NoError(t, os.WriteFile(filepath.Join(bin, "dpkg-query"), []byte("#!/bin/sh\necho \"$3\" >> "+log+"\necho 'install ok installed'\n"), 0o755))
		if p, err := exec.LookPath("grep"); err == nil {
			require.NoError(t, os.Symlink(p, filepath.Join(bin, "grep")))
		}
		cmd := exec.Command("bash", "../scripts/deps.sh", "demo")
		cmd.Env = []string{"PATH=" + bin, "ENGINE=" + tc.env}
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		asked := strings.Fields(readFile(t, log))
		assert.Contains(t, asked, "debootstrap", "ENGINE=%s", tc.env)
		assert.Contains(t, asked, "openssh-client", "ENGINE=%s", tc.env)
		assert.Equal(t, tc.wantPodman, slices.Contains(asked, "podman"), "ENGINE=%s: %v", tc.env, asked)
		assert.NotContains(t, asked, "tini", "demo: only what make demo needs")
	}
}
