package services

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// notifyMsg is one sd_notify(3) datagram with its sender's pid.
type notifyMsg struct {
	pid    int
	uid    int // the sender's, from its credentials
	fields map[string]string
}

// notifySocket is a service's NOTIFY_SOCKET: a datagram socket whose
// messages carry the sender's credentials (SO_PASSCRED), so that
// NotifyAccess= can be enforced.
type notifySocket struct {
	conn *net.UnixConn
	path string // inside root
	host string
	mu   sync.Mutex // serve and drain take messages one at a time
	// handle is what serve and drain do with a message (set before serve).
	handle func(notifyMsg)
}

// listenNotify makes the socket at host (the path inside root is what
// the service is given).
func listenNotify(host, inRoot string) (*notifySocket, error) {
	if err := os.MkdirAll(filepath.Dir(host), 0o755); err != nil {
		return nil, err
	}
	_ = os.Remove(host)
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: host, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("notify socket %s: %w", inRoot, err)
	}
	// Services run as other users: the socket must be writable by them
	// (systemd's is 0777 too; the sender is checked by its credentials).
	if err := os.Chmod(host, 0o777); err != nil {
		conn.Close()
		return nil, err
	}
	raw, err := conn.SyscallConn()
	if err == nil {
		cerr := raw.Control(func(fd uintptr) {
			err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_PASSCRED, 1)
		})
		if cerr != nil {
			err = cerr
		}
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("notify socket %s: SO_PASSCRED: %w", inRoot, err)
	}
	return &notifySocket{conn: conn, path: inRoot, host: host}, nil
}

// serve hands each message to n.handle, in order, until the socket is
// closed. It and drain take the messages under one lock, so a message is
// handled once, and everything queued before a drain began is handled when
// the drain returns.
func (n *notifySocket) serve() {
	rc, err := n.conn.SyscallConn()
	if err != nil {
		return
	}
	// Read returns once the socket is closed, or a read failed: done.
	_ = rc.Read(func(fd uintptr) bool {
		n.mu.Lock()
		defer n.mu.Unlock()
		for {
			m, ok, err := recvNotify(int(fd))
			if err != nil {
				return true
			}
			if !ok {
				return false // nothing queued: wait in the poller
			}
			n.handle(m)
		}
	})
}

// drain hands the messages queued now to n.handle, from another goroutine
// than serve's: a main process's end is taken as final only once what it
// sent before it ended (a MAINPID=) has been handled, as systemd reads
// notifications before SIGCHLD.
func (n *notifySocket) drain() {
	rc, err := n.conn.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		n.mu.Lock()
		defer n.mu.Unlock()
		for {
			m, ok, err := recvNotify(int(fd))
			if err != nil || !ok {
				return
			}
			n.handle(m)
		}
	})
}

// recvNotify takes the next message without waiting: ok is false when
// none is queued. Messages without credentials are dropped: they cannot be
// checked against NotifyAccess=.
func recvNotify(fd int) (msg notifyMsg, ok bool, err error) {
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(unix.SizeofUcred)+unix.CmsgSpace(4*16))
	for {
		nb, noob, _, _, err := unix.Recvmsg(fd, buf, oob, unix.MSG_DONTWAIT|unix.MSG_CMSG_CLOEXEC)
		if errors.Is(err, unix.EAGAIN) {
			return notifyMsg{}, false, nil
		}
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return notifyMsg{}, false, err
		}
		msg := notifyMsg{fields: map[string]string{}}
		if cmsgs, err := unix.ParseSocketControlMessage(oob[:noob]); err == nil {
			for _, c := range cmsgs {
				if cred, err := unix.ParseUnixCredentials(&c); err == nil {
					msg.pid, msg.uid = int(cred.Pid), int(cred.Uid)
				}
				if fds, err := unix.ParseUnixRights(&c); err == nil {
					for _, fd := range fds { // FDSTORE= is not supported: close what was passed
						unix.Close(fd)
					}
				}
			}
		}
		for _, line := range strings.Split(string(buf[:nb]), "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				msg.fields[k] = v
			}
		}
		if msg.pid == 0 {
			continue
		}
		return msg, true, nil
	}
}

func (n *notifySocket) close() {
	n.conn.Close()
	_ = os.Remove(n.host)
}

// mainPIDFrom reads MAINPID= of a message.
func mainPIDFrom(m notifyMsg) (int, bool) {
	v, ok := m.fields["MAINPID"]
	if !ok {
		return 0, false
	}
	pid, err := strconv.Atoi(v)
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, true
}
