package boot

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
)

// Host keys that ssh-keygen made (OpenSSH format, and PEM PKCS#1 with -m
// PEM): the public key read from the private key file's header is the one
// in ssh-keygen's .pub, without the cost of parsing the private part.
func TestHostPublicKey_IsTheKeySSHKeygenPutInThePubFile(t *testing.T) {
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("requires ssh-keygen")
	}
	dir := t.TempDir()
	for _, k := range [][]string{{"rsa", "-b", "3072"}, {"ecdsa"}, {"ed25519"}, {"rsa", "-m", "PEM"}} {
		path := filepath.Join(dir, k[0]+"-"+k[len(k)-1])
		out, code := command(t, append([]string{"ssh-keygen", "-q", "-N", "", "-f", path, "-t"}, k...)...)
		require.Zero(t, code, "%s", out)
		priv, err := os.ReadFile(path)
		require.NoError(t, err)
		pubFile, err := os.ReadFile(path + ".pub")
		require.NoError(t, err)
		want, _, _, _, err := ssh.ParseAuthorizedKey(pubFile)
		require.NoError(t, err)
		got, err := hostPublicKey(priv)
		require.NoError(t, err, k)
		assert.Equal(t, want.Marshal(), got.Marshal(), k)
	}
}

func TestHostPublicKey_RefusesWhatIsNoSingleOpenSSHKey(t *testing.T) {
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("requires ssh-keygen")
	}
	dir := t.TempDir()
	out, code := command(t, "ssh-keygen", "-q", "-N", "", "-t", "ed25519", "-f", dir+"/k")
	require.Zero(t, code, "%s", out)
	priv, err := os.ReadFile(dir + "/k")
	require.NoError(t, err)
	_, err = hostPublicKey(priv)
	require.NoError(t, err)
	for name, data := range map[string][]byte{
		"empty":     nil,
		"not PEM":   []byte("hello\n"),
		"truncated": append(append([]byte{}, priv[:len(priv)/2]...), []byte("\n-----END OPENSSH PRIVATE KEY-----\n")...),
	} {
		_, err := hostPublicKey(data)
		assert.Error(t, err, name)
	}
}

func FuzzHostPublicKey(f *testing.F) {
	f.Add([]byte("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB\n-----END OPENSSH PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = hostPublicKey(data) // never panics, whatever the file holds
	})
}

// The RSA host key is the first of several generated at once: whichever
// wins, it is a whole 3072-bit key, alone or raced.
func TestRacedRSAKey_IsAValid3072BitKeyAloneOrRaced(t *testing.T) {
	for _, n := range []int{1, 2} {
		k, err := racedRSAKey(3072, n)
		require.NoError(t, err)
		assert.Equal(t, 3072, k.N.BitLen(), "n=%d", n)
		assert.NoError(t, k.Validate(), "n=%d", n)
	}
}

// Two generations race only where two CPUs are there for them: a pod
// limited to one CPU (which Go's GOMAXPROCS rounds up to 2) makes one.
func TestRSARacers_FollowTheCgroupsCPULimit(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("requires 2 CPUs")
	}
	old := cgroupFS
	t.Cleanup(func() { cgroupFS = old })
	for _, tc := range []struct {
		files map[string]string
		want  int
	}{
		{map[string]string{"cpu.max": "max 100000\n"}, 2},
		{map[string]string{"cpu.max": "100000 100000\n"}, 1},
		{map[string]string{"cpu.max": "150000 100000\n"}, 1},
		{map[string]string{"cpu.max": "200000 100000\n"}, 2},
		{map[string]string{"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, 2},
		{map[string]string{"cpu/cpu.cfs_quota_us": "50000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 1},
		{map[string]string{}, 2},
	} {
		cgroupFS = t.TempDir()
		for name, body := range tc.files {
			require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(cgroupFS, name)), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(cgroupFS, name), []byte(body), 0o644))
		}
		assert.Equal(t, tc.want, rsaRacers(), "%v", tc.files)
	}
}
