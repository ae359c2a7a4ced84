package timers

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ZoneWatch tells when the time zone of a root changes: its /etc/localtime
// replaced (`ln -sf`, `dpkg-reconfigure tzdata`, `timedatectl
// set-timezone`), rewritten or removed. systemd recomputes its calendar
// timers then; Go's time.Local is read once, so the timers' owner reloads
// the zone with [LoadZone]. An inotify watch on the directory (a
// replaced link is a new inode), read through the Go runtime's poller.
type ZoneWatch struct {
	f *os.File
}

const localtime = "localtime"

// NewZoneWatch watches root's /etc for changes of localtime.
func NewZoneWatch(root string) (*ZoneWatch, error) {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("inotify_init1: %w", err)
	}
	dir := filepath.Join(root, "/etc")
	const mask = unix.IN_CREATE | unix.IN_MOVED_TO | unix.IN_CLOSE_WRITE | unix.IN_DELETE | unix.IN_MOVED_FROM | unix.IN_ONLYDIR
	if _, err := unix.InotifyAddWatch(fd, dir, mask); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("inotify_add_watch %s: %w", dir, err)
	}
	return &ZoneWatch{f: os.NewFile(uintptr(fd), "inotify")}, nil
}

// Wait blocks until localtime changed. After Close it returns os.ErrClosed.
func (w *ZoneWatch) Wait() error {
	buf := make([]byte, 4096)
	for {
		n, err := w.f.Read(buf)
		if err != nil {
			return err
		}
		if zoneEvent(buf[:n]) {
			return nil
		}
	}
}

// zoneEvent says whether a read of inotify events names localtime.
func zoneEvent(b []byte) bool {
	for len(b) >= unix.SizeofInotifyEvent {
		ev := (*unix.InotifyEvent)(unsafe.Pointer(&b[0]))
		end := unix.SizeofInotifyEvent + int(ev.Len)
		if end > len(b) {
			return false
		}
		name := b[unix.SizeofInotifyEvent:end]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		if string(name) == localtime || ev.Mask&unix.IN_Q_OVERFLOW != 0 {
			return true
		}
		b = b[end:]
	}
	return false
}

// Close ends the watch; a Wait returns.
func (w *ZoneWatch) Close() error { return w.f.Close() }

// LoadZone is root's time zone as Go reads it at start when TZ is unset:
// /etc/localtime, UTC when there is none (data nil). A file that is no zone
// is an error (the zone in use stays). data is the file's content, to tell
// a new zone from the same one written again.
//
// Only a regular file of at most maxZoneFile bytes is read (tzdata's are a
// few KiB): PID 1's timer loop reads it, and a FIFO or a device there must
// not hang it or fill its memory.
func LoadZone(root string) (z *time.Location, data []byte, err error) {
	path := filepath.Join(root, "/etc", localtime)
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return time.UTC, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > maxZoneFile {
		return nil, nil, fmt.Errorf("%s: not a regular file of at most %d bytes (%s, %d bytes)", path, maxZoneFile, fi.Mode().Type(), fi.Size())
	}
	if data, err = io.ReadAll(io.LimitReader(f, maxZoneFile)); err != nil {
		return nil, nil, err
	}
	z, err = time.LoadLocationFromTZData("Local", data)
	return z, data, err
}

// maxZoneFile bounds /etc/localtime; tzdata's zone files are a few KiB.
const maxZoneFile = 1 << 20
