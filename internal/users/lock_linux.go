package users

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// lockTimeout is how long shadow-utils' lckpwdf waits, too.
var lockTimeout = 15 * time.Second

// lockAccounts takes the lock that shadow-utils (useradd, passwd, chpasswd)
// and PAM take before they edit the account files: a fcntl write lock on
// /etc/.pwd.lock. It waits up to timeout for another holder.
func lockAccounts(root string, timeout time.Duration) (unlock func(), err error) {
	path := filepath.Join(root, "/etc/.pwd.lock")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock account files: %w", err)
	}
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0}
	deadline := time.Now().Add(timeout)
	for {
		err = unix.FcntlFlock(f.Fd(), unix.F_SETLK, &lk)
		if err == nil {
			return func() { f.Close() }, nil // closing releases the lock
		}
		if !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.EACCES) && !errors.Is(err, unix.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("lock %s: still held by another process after %s (a running useradd or passwd?)", path, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
