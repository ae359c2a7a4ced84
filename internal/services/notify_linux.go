package services

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

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

// read returns the next message; an error when the socket is closed.
func (n *notifySocket) read() (notifyMsg, error) {
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(unix.SizeofUcred)+unix.CmsgSpace(4*16))
	for {
		nb, noob, _, _, err := n.conn.ReadMsgUnix(buf, oob)
		if err != nil {
			return notifyMsg{}, err
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
			continue // no credentials: cannot be checked against NotifyAccess=
		}
		return msg, nil
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
