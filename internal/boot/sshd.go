package boot

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/boxinit/boxinit/internal/sysfile"
)

// hostKeyTypes are the host keys every container gets, as
// `ssh-keygen -A` would make them: never baked into an image, so that no
// two containers share a host key; kept when they exist, so that a
// restarted container keeps its identity.
var hostKeyTypes = []struct {
	name string
	gen  func() (crypto.Signer, error)
}{
	{"ed25519", func() (crypto.Signer, error) { _, k, err := ed25519.GenerateKey(rand.Reader); return k, err }},
	{"ecdsa", func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }},
	{"rsa", func() (crypto.Signer, error) {
		k, err := racedRSAKey(3072, rsaRacers())
		if err != nil {
			return nil, err
		}
		return k, nil
	}},
}

// racedRSAKey generates an RSA key of bits in n goroutines at once and
// returns the first done. The search for the primes takes a random time
// with a long tail: on this project's 2-core machines a 3072-bit key took
// 43–919 ms, mean 309, alone, and 24–469 ms, mean 189, as the first of two
// (40 each, alternating). The others run on, unseen, until they are done
// (a few hundred ms of CPU), in the boot child that ends with boot.
func racedRSAKey(bits, n int) (*rsa.PrivateKey, error) {
	if n < 2 {
		return rsa.GenerateKey(rand.Reader, bits)
	}
	type result struct {
		key *rsa.PrivateKey
		err error
	}
	done := make(chan result, n) // room for every racer: the last ones never block
	for range n {
		go func() {
			k, err := rsa.GenerateKey(rand.Reader, bits)
			done <- result{k, err}
		}()
	}
	r := <-done
	return r.key, r.err
}

// rsaRacers is 2 where two CPUs are there to race on, else 1: not
// GOMAXPROCS, which Go rounds up to 2 under a CPU limit of one, where two
// generations would share the one CPU and each take twice as long.
func rsaRacers() int {
	if runtime.NumCPU() < 2 {
		return 1
	}
	if q := cpuQuota(); q > 0 && q < 2 {
		return 1
	}
	return 2
}

// cgroupFS is where the cgroup file system is mounted; tests move it.
var cgroupFS = "/sys/fs/cgroup"

// cpuQuota is the CPU limit of the cgroup this process sees as its own, in
// CPUs (cgroup v2's cpu.max, v1's cpu.cfs_quota_us over cpu.cfs_period_us,
// as a container sees them); 0 when there is none or it cannot be read.
func cpuQuota() float64 {
	if b, err := os.ReadFile(cgroupFS + "/cpu.max"); err == nil {
		var quota, period float64
		if n, _ := fmt.Sscanf(string(b), "%g %g", &quota, &period); n == 2 && period > 0 {
			return quota / period
		}
		return 0 // "max": no limit
	}
	q, err1 := os.ReadFile(cgroupFS + "/cpu/cpu.cfs_quota_us")
	p, err2 := os.ReadFile(cgroupFS + "/cpu/cpu.cfs_period_us")
	if err1 != nil || err2 != nil {
		return 0
	}
	var quota, period float64
	if _, err := fmt.Sscanf(string(q), "%g", &quota); err != nil || quota <= 0 {
		return 0 // -1: no limit
	}
	if _, err := fmt.Sscanf(string(p), "%g", &period); err != nil || period <= 0 {
		return 0
	}
	return quota / period
}

// caKeyPath is where an SSH certificate authority's key may be mounted:
// with it, every host key is signed into a host certificate.
const caKeyPath = "/etc/ssh/ca/ca_key"

// Host certificates are valid for certValidity and signed again at boot
// when less than a quarter of that is left, so that a pod restarted now
// and then never presents an expired one, and a stolen one does not work
// for ever.
const (
	certValidity = 365 * 24 * time.Hour
	certRenewal  = certValidity / 4
)

// certClock is the clock of the certificates (a seam for the tests).
var certClock = time.Now

// HostCertExpiry is when the first of the host certificates signed or
// kept by the sshd step expires; zero when there are none.
func (b *Boot) HostCertExpiry() time.Time {
	if s := b.certExpiry.Load(); s != 0 {
		return time.Unix(s, 0)
	}
	return time.Time{}
}

// sshd prepares sshd when the image has it: /run/sshd, missing host keys,
// host certificates signed by a mounted CA key.
func (b *Boot) sshd(context.Context) (Outcome, string, error) {
	if _, err := os.Stat(b.cfg.path("/usr/sbin/sshd")); err != nil {
		return Skipped, "no /usr/sbin/sshd in the image", nil
	}
	if err := os.MkdirAll(b.cfg.path("/run/sshd"), 0o755); err != nil {
		return fail(err)
	}
	var ca ssh.Signer
	var did []string
	outcome := Changed
	if pemBytes, mode, err := readFileMode(b.cfg.path(caKeyPath)); err == nil {
		if ca, err = ssh.ParsePrivateKey(pemBytes); err != nil {
			return fail(fmt.Errorf("%s: %w", caKeyPath, err))
		}
		// Whoever reads the CA key can impersonate every host it signs.
		if mode&0o077 != 0 {
			outcome = Warning
			did = append(did, fmt.Sprintf("%s is readable by more than its owner (mode %04o): mount it 0400 (and without an fsGroup)", caKeyPath, mode))
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fail(err)
	}
	host, _ := os.Hostname()
	if b.cfg.Hostname != "" {
		host = b.cfg.Hostname
	}
	// A certificate without principals is valid for every host name: only
	// when SSH_HOST_CERT_ANY_NAME=yes asks for that, as the old chart's
	// `ssh-keygen -h` without -n signed them.
	var principals []string
	for _, p := range append([]string{host}, b.cfg.HostPrincipals...) {
		if p != "" && !slices.Contains(principals, p) {
			principals = append(principals, p)
		}
	}
	keyID := host
	if b.cfg.HostCertAnyName {
		principals = nil
	} else if len(principals) == 0 {
		ca = nil // no name to sign for
	}
	var expiry time.Time
	for _, kt := range hostKeyTypes {
		path := fmt.Sprintf("/etc/ssh/ssh_host_%s_key", kt.name)
		pub, created, err := b.hostKey(path, kt.gen)
		if err != nil {
			return fail(fmt.Errorf("%s: %w", path, err))
		}
		if created {
			did = append(did, "generated "+path)
		}
		if ca != nil {
			signed, until, err := b.hostCert(path+"-cert.pub", pub, ca, keyID, principals)
			if err != nil {
				return fail(fmt.Errorf("%s-cert.pub: %w", path, err))
			}
			if signed {
				did = append(did, "signed "+path+"-cert.pub")
			}
			if expiry.IsZero() || until.Before(expiry) {
				expiry = until
			}
		}
	}
	if !expiry.IsZero() {
		b.certExpiry.Store(expiry.Unix())
		names := "for " + strings.Join(principals, ", ")
		if principals == nil {
			names = "for any host name"
		}
		did = append(did, fmt.Sprintf("host certificates %s valid until %s", names, expiry.UTC().Format("2006-01-02 15:04 MST")))
		if len(did) == 1 && outcome == Changed {
			outcome = OK
		}
	}
	if len(did) == 0 {
		return OK, "", nil
	}
	return outcome, strings.Join(did, "; "), nil
}

// readFileMode reads a file and the permission bits of what it read.
func readFileMode(path string) ([]byte, fs.FileMode, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	data, err := io.ReadAll(f)
	return data, fi.Mode().Perm(), err
}

// hostKey loads the key at path, or generates and writes it (0600, with
// its .pub 0644) when it is missing.
func (b *Boot) hostKey(path string, gen func() (crypto.Signer, error)) (ssh.PublicKey, bool, error) {
	if pemBytes, err := os.ReadFile(b.cfg.path(path)); err == nil {
		pub, err := hostPublicKey(pemBytes)
		return pub, false, err
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	key, err := gen()
	if err != nil {
		return nil, false, err
	}
	block, err := ssh.MarshalPrivateKey(key, "root@boxinit")
	if err != nil {
		return nil, false, err
	}
	signer, err := ssh.NewSignerFromSigner(key)
	if err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(b.cfg.path("/etc/ssh"), 0o755); err != nil {
		return nil, false, err
	}
	if _, err := sysfile.Replace(b.cfg.path(path), pem.EncodeToMemory(block), sysfile.Options{Mode: 0o600}); err != nil {
		return nil, false, err
	}
	pub := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))) + " root@boxinit\n"
	if _, err := sysfile.Replace(b.cfg.path(path+".pub"), []byte(pub), sysfile.Options{Mode: 0o644}); err != nil {
		return nil, false, err
	}
	return signer.PublicKey(), true, nil
}

// hostPublicKey is the public key of an existing host key file. An
// OpenSSH private key (what ssh-keygen and boxinit write) carries its
// public key in the unencrypted header: that part is read and checked
// (magic, one key, a public key that parses), the private part left to
// sshd, because parsing it costs what Go's RSA key validation costs
// (4.6 ms for a 3072-bit key, a quarter of a warm boot). Other formats
// (PEM PKCS#1, PKCS#8) are parsed whole.
func hostPublicKey(pemBytes []byte) (ssh.PublicKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("not a PEM private key")
	}
	if block.Type != "OPENSSH PRIVATE KEY" {
		s, err := ssh.ParsePrivateKey(pemBytes)
		if err != nil {
			return nil, err
		}
		return s.PublicKey(), nil
	}
	const magic = "openssh-key-v1\x00"
	rest, ok := bytes.CutPrefix(block.Bytes, []byte(magic))
	if !ok {
		return nil, errors.New("not an openssh-key-v1 private key")
	}
	var fields [4][]byte // cipher, kdf, kdf options, public key
	for i := range fields {
		if i == 3 {
			if len(rest) < 4 || binary.BigEndian.Uint32(rest) != 1 {
				return nil, errors.New("not exactly one key in the file")
			}
			rest = rest[4:]
		}
		if len(rest) < 4 || uint64(binary.BigEndian.Uint32(rest)) > uint64(len(rest)-4) {
			return nil, errors.New("truncated openssh-key-v1 header")
		}
		n := binary.BigEndian.Uint32(rest)
		fields[i], rest = rest[4:4+n], rest[4+n:]
	}
	if len(rest) < 4 || uint64(binary.BigEndian.Uint32(rest)) != uint64(len(rest)-4) || len(rest) == 4 {
		return nil, errors.New("truncated or empty private section")
	}
	return ssh.ParsePublicKey(fields[3])
}

// hostCert signs pub into a host certificate for the principals (the
// host name first, then SSH_HOST_PRINCIPALS: the names clients connect
// to; none: any name) unless the one at path already certifies this key
// for exactly these names with this CA and has more than certRenewal
// left. It returns whether it signed, and when the certificate expires.
func (b *Boot) hostCert(path string, pub ssh.PublicKey, ca ssh.Signer, keyID string, principals []string) (bool, time.Time, error) {
	t := certClock()
	if old, err := os.ReadFile(b.cfg.path(path)); err == nil {
		if k, _, _, _, err := ssh.ParseAuthorizedKey(old); err == nil {
			if c, ok := k.(*ssh.Certificate); ok && c.CertType == ssh.HostCert &&
				string(c.Key.Marshal()) == string(pub.Marshal()) &&
				string(c.SignatureKey.Marshal()) == string(ca.PublicKey().Marshal()) &&
				slices.Equal(c.ValidPrincipals, principals) &&
				c.ValidBefore <= uint64(math.MaxInt64) && // not ssh.CertTimeInfinity: signed again to expire
				time.Unix(int64(c.ValidBefore), 0).Sub(t) > certRenewal {
				return false, time.Unix(int64(c.ValidBefore), 0), nil
			}
		}
	}
	until := t.Add(certValidity).Truncate(time.Second)
	cert := &ssh.Certificate{
		Key:             pub,
		CertType:        ssh.HostCert,
		KeyId:           keyID,
		ValidPrincipals: principals,
		ValidAfter:      uint64(t.Add(-5 * time.Minute).Unix()),
		ValidBefore:     uint64(until.Unix()),
	}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		return false, time.Time{}, err
	}
	_, err := sysfile.Replace(b.cfg.path(path), ssh.MarshalAuthorizedKey(cert), sysfile.Options{Mode: 0o644})
	return err == nil, until, err
}
