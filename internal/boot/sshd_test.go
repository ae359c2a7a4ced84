package boot

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
)

func sshdRoot(t *testing.T) *Boot {
	f := testRoot(t, nil)
	require.NoError(t, os.MkdirAll(filepath.Join(f.Root, "usr/sbin"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(f.Root, "usr/sbin/sshd"), nil, 0o755))
	return &Boot{cfg: &Config{Flags: f, Hostname: "box-1"}}
}

// mountCA puts a new CA key at caKeyPath with the given mode.
func mountCA(t *testing.T, b *Boot, mode os.FileMode) ssh.Signer {
	_, caKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	block, err := ssh.MarshalPrivateKey(caKey, "ca")
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(b.cfg.path("/etc/ssh/ca"), 0o755))
	require.NoError(t, os.WriteFile(b.cfg.path(caKeyPath), pem.EncodeToMemory(block), mode))
	require.NoError(t, os.Chmod(b.cfg.path(caKeyPath), mode)) // past the umask
	signer, err := ssh.NewSignerFromKey(caKey)
	require.NoError(t, err)
	return signer
}

func TestSSHDStep_GivesEachContainerItsOwnHostKeysAndKeepsThem(t *testing.T) {
	b := sshdRoot(t)
	out, msg, err := b.sshd(context.Background())
	require.NoError(t, err)
	assert.Equal(t, Changed, out)
	assert.Contains(t, msg, "generated /etc/ssh/ssh_host_rsa_key")
	assert.DirExists(t, b.cfg.path("/run/sshd"))
	for _, name := range []string{"ed25519", "ecdsa", "rsa"} {
		key := b.cfg.path("/etc/ssh/ssh_host_" + name + "_key")
		fi, err := os.Stat(key)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), key)
		priv, err := ssh.ParsePrivateKey([]byte(readFile(t, key)))
		require.NoError(t, err)
		pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(readFile(t, key+".pub")))
		require.NoError(t, err)
		assert.Equal(t, priv.PublicKey().Marshal(), pub.Marshal(), "the .pub matches")
		if keygen, err := exec.LookPath("ssh-keygen"); err == nil {
			derived, code := command(t, keygen, "-y", "-f", key)
			require.Zero(t, code, "ssh-keygen reads the key: %s", derived)
			assert.Equal(t, strings.Fields(readFile(t, key+".pub"))[1], strings.Fields(derived)[1])
		}
	}
	rsaKey, _ := ssh.ParsePrivateKey([]byte(readFile(t, b.cfg.path("/etc/ssh/ssh_host_rsa_key"))))
	assert.Equal(t, 3072, rsaKey.PublicKey().(ssh.CryptoPublicKey).CryptoPublicKey().(interface{ Size() int }).Size()*8)

	before := readFile(t, b.cfg.path("/etc/ssh/ssh_host_ed25519_key"))
	out, _, err = b.sshd(context.Background())
	require.NoError(t, err)
	assert.Equal(t, OK, out, "a restarted container keeps its host keys")
	assert.Equal(t, before, readFile(t, b.cfg.path("/etc/ssh/ssh_host_ed25519_key")))
}

func TestSSHDStep_SignsHostCertificatesThatAClientTrustsThroughTheCA(t *testing.T) {
	b := sshdRoot(t)
	caSigner := mountCA(t, b, 0o400)

	_, msg, err := b.sshd(context.Background())
	require.NoError(t, err)
	assert.Contains(t, msg, "signed /etc/ssh/ssh_host_rsa_key-cert.pub")
	certFile := b.cfg.path("/etc/ssh/ssh_host_rsa_key-cert.pub")
	k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(readFile(t, certFile)))
	require.NoError(t, err)
	cert := k.(*ssh.Certificate)
	checker := ssh.CertChecker{IsHostAuthority: func(auth ssh.PublicKey, _ string) bool {
		return string(auth.Marshal()) == string(caSigner.PublicKey().Marshal())
	}}
	assert.NoError(t, checker.CheckHostKey("box-1:22", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 22}, cert),
		"a client with @cert-authority for the CA accepts the host")
	assert.Error(t, checker.CheckHostKey("other:22", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 22}, cert), "only for this host name")

	old, err := os.Stat(certFile)
	require.NoError(t, err)
	time.Sleep(10 * time.Millisecond)
	out, _, err := b.sshd(context.Background())
	require.NoError(t, err)
	assert.Equal(t, OK, out, "the certificate persists like the keys")
	now, _ := os.Stat(certFile)
	assert.Equal(t, old.ModTime(), now.ModTime())

	b.cfg.HostPrincipals = []string{"login.example.com", "box-1"}
	out, _, err = b.sshd(context.Background())
	require.NoError(t, err)
	assert.Equal(t, Changed, out, "new names in SSH_HOST_PRINCIPALS: signed again")
	k, _, _, _, err = ssh.ParseAuthorizedKey([]byte(readFile(t, certFile)))
	require.NoError(t, err)
	cert = k.(*ssh.Certificate)
	assert.Equal(t, []string{"box-1", "login.example.com"}, cert.ValidPrincipals, "the host name first, no name twice")
	assert.NoError(t, checker.CheckHostKey("login.example.com:22", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 22}, cert),
		"a client that connects through the Service's name accepts the host")
}

func TestSSHDStep_WarnsWhenTheCAKeyIsReadableByOthers(t *testing.T) {
	b := sshdRoot(t)
	mountCA(t, b, 0o440) // a Secret's file with an fsGroup

	out, msg, err := b.sshd(context.Background())
	require.NoError(t, err)
	assert.Equal(t, Warning, out)
	assert.Contains(t, msg, "/etc/ssh/ca/ca_key is readable by more than its owner (mode 0440): mount it 0400")
	assert.Contains(t, msg, "signed /etc/ssh/ssh_host_rsa_key-cert.pub", "the host keys are signed all the same")
	out, _, err = b.sshd(context.Background())
	require.NoError(t, err)
	assert.Equal(t, Warning, out, "at every boot, not only the first")
}

func TestSSHDStep_IsSkippedWithoutSSHD(t *testing.T) {
	b := &Boot{cfg: &Config{Flags: testRoot(t, nil)}}
	out, _, err := b.sshd(context.Background())
	require.NoError(t, err)
	assert.Equal(t, Skipped, out)
	assert.NoDirExists(t, b.cfg.path("/etc/ssh"))
}

// hostCertOf reads the certificate the sshd step wrote for key type name.
func hostCertOf(t *testing.T, b *Boot, name string) *ssh.Certificate {
	t.Helper()
	k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(readFile(t, b.cfg.path("/etc/ssh/ssh_host_"+name+"_key-cert.pub"))))
	require.NoError(t, err)
	return k.(*ssh.Certificate)
}

func setCertClock(t *testing.T, at *time.Time) {
	old := certClock
	certClock = func() time.Time { return *at }
	t.Cleanup(func() { certClock = old })
}

func TestSSHDStep_SignsHostCertificatesForOneYearAndSignsAgainInTheLastQuarter(t *testing.T) {
	b := sshdRoot(t)
	mountCA(t, b, 0o400)
	clock := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	setCertClock(t, &clock)

	out, msg, err := b.sshd(context.Background())
	require.NoError(t, err)
	assert.Equal(t, Changed, out)
	assert.Contains(t, msg, "host certificates for box-1 valid until 2027-12-02 10:00 UTC")
	for _, name := range []string{"ed25519", "ecdsa", "rsa"} {
		c := hostCertOf(t, b, name)
		assert.Equal(t, uint64(clock.Add(365*24*time.Hour).Unix()), c.ValidBefore, name)
		assert.Equal(t, uint64(clock.Add(-5*time.Minute).Unix()), c.ValidAfter, name)
	}
	assert.Equal(t, clock.Add(365*24*time.Hour), b.HostCertExpiry().UTC(), "for boxinit status")
	first := hostCertOf(t, b, "rsa")

	clock = clock.Add(270 * 24 * time.Hour) // 95 days left: more than a quarter
	out, msg, err = b.sshd(context.Background())
	require.NoError(t, err)
	assert.Equal(t, OK, out, "kept")
	assert.Equal(t, "host certificates for box-1 valid until 2027-12-02 10:00 UTC", msg, "the expiry is in the step's line at every boot")
	assert.Equal(t, first.Signature, hostCertOf(t, b, "rsa").Signature)

	clock = clock.Add(10 * 24 * time.Hour) // 85 days left: less than a quarter of a year
	out, msg, err = b.sshd(context.Background())
	require.NoError(t, err)
	assert.Equal(t, Changed, out, "signed again before it expires")
	assert.Contains(t, msg, "signed /etc/ssh/ssh_host_rsa_key-cert.pub")
	assert.Equal(t, uint64(clock.Add(365*24*time.Hour).Unix()), hostCertOf(t, b, "rsa").ValidBefore)
	assert.Equal(t, clock.Add(365*24*time.Hour), b.HostCertExpiry().UTC())
}

func TestSSHDStep_SignsAgainACertificateThatNeverExpires(t *testing.T) {
	b := sshdRoot(t)
	ca := mountCA(t, b, 0o400)
	_, _, err := b.sshd(context.Background())
	require.NoError(t, err)
	// What boxinit signed before certificates expired.
	c := hostCertOf(t, b, "ed25519")
	c.ValidBefore = ssh.CertTimeInfinity
	require.NoError(t, c.SignCert(rand.Reader, ca))
	require.NoError(t, os.WriteFile(b.cfg.path("/etc/ssh/ssh_host_ed25519_key-cert.pub"), ssh.MarshalAuthorizedKey(c), 0o644))

	out, msg, err := b.sshd(context.Background())
	require.NoError(t, err)
	assert.Equal(t, Changed, out)
	assert.Equal(t, "signed /etc/ssh/ssh_host_ed25519_key-cert.pub", strings.Split(msg, "; ")[0])
	assert.Less(t, hostCertOf(t, b, "ed25519").ValidBefore, uint64(time.Now().Add(366*24*time.Hour).Unix()))
}

// The old chart signed with `ssh-keygen -s ca_key -I NAME -h key.pub`: no
// principals, so its NOTES' `@cert-authority * CA` line let a client
// connect by any name or address (the LoadBalancer's EXTERNAL-IP).
func TestSSHDStep_AnyNameSignsCertificatesWithoutPrincipalsThatMatchEveryName(t *testing.T) {
	b := sshdRoot(t)
	caSigner := mountCA(t, b, 0o400)
	b.cfg.HostCertAnyName = true

	out, msg, err := b.sshd(context.Background())
	require.NoError(t, err)
	assert.Equal(t, Changed, out)
	assert.Contains(t, msg, "host certificates for any host name valid until")
	cert := hostCertOf(t, b, "rsa")
	assert.Empty(t, cert.ValidPrincipals)
	assert.Equal(t, "box-1", cert.KeyId, "the host name still identifies it in sshd's and the client's logs")
	checker := ssh.CertChecker{IsHostAuthority: func(auth ssh.PublicKey, _ string) bool {
		return string(auth.Marshal()) == string(caSigner.PublicKey().Marshal())
	}}
	for _, addr := range []string{"203.0.113.9:22", "box-1:22", "login.example.com:2222"} {
		assert.NoError(t, checker.CheckHostKey(addr, &net.TCPAddr{IP: net.IPv4(203, 0, 113, 9), Port: 22}, cert), addr)
	}
	if keygen, err := exec.LookPath("ssh-keygen"); err == nil {
		out, code := command(t, keygen, "-L", "-f", b.cfg.path("/etc/ssh/ssh_host_rsa_key-cert.pub"))
		require.Zero(t, code, out)
		assert.Regexp(t, `Principals: \(none\)`, out, "OpenSSH reads it as valid for every name")
		assert.Regexp(t, `Valid: from \S+ to \S+`, out, "and not forever")
	}

	b.cfg.HostCertAnyName = false
	out, _, err = b.sshd(context.Background())
	require.NoError(t, err)
	assert.Equal(t, Changed, out, "back to named principals: signed again")
	assert.Equal(t, []string{"box-1"}, hostCertOf(t, b, "rsa").ValidPrincipals)
}
