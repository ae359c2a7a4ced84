// Package status is the control socket of a running boxinit and the client
// behind `boxinit status`: one versioned JSON document that says whether
// the system is up, what boot did, what runs and what cron will run next.
// No value from rc.env is ever part of it.
package status

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Version is the version of the document; fields are only ever added.
const Version = 1

// States of the init.
const (
	Booting  = "booting"
	Ready    = "ready"
	Stopping = "stopping"
)

// Document is the answer to a status request.
type Document struct {
	Version    int        `json:"version"`
	Boxinit    string     `json:"boxinit_version"`
	PID        int        `json:"pid"`
	Mode       string     `json:"mode"` // "pid1" or "subreaper"
	Started    time.Time  `json:"started"`
	State      string     `json:"state"`
	ReadySince time.Time  `json:"ready_since,omitzero"`
	Boot       []BootStep `json:"boot"`
	// BootRunning is the hook or customization command boot waits for.
	BootRunning *BootRunning `json:"boot_running,omitempty"`
	// HostCertExpires is when the first of sshd's host certificates
	// expires (boot signs them again when a quarter of a year is left).
	HostCertExpires time.Time `json:"host_cert_expires,omitzero"`
	Main            *Main     `json:"main,omitempty"`
	Processes       Processes `json:"processes"`
	Cron            *Cron     `json:"cron,omitempty"`
	// Services are the systemd units PID 1 runs (absent when it runs none).
	Services []Service `json:"services,omitempty"`
	// Timers are the timer units PID 1 has loaded (absent when none).
	Timers []Timer `json:"timers,omitempty"`
}

// The document's types are its own: the packages that produce the values
// (boot, reaper, cron, services) have theirs, converted at the edge
// (cmd/boxinit), so that a field renamed there cannot change this format.

// BootStep is how one boot step ended.
type BootStep struct {
	Step     string        `json:"step"`
	Outcome  string        `json:"outcome"` // ok, changed, skipped, warning, failed
	Duration time.Duration `json:"duration_ns"`
	Message  string        `json:"message,omitempty"`
}

// BootRunning is the hook or customization command boot waits for.
type BootRunning struct {
	Step    string        `json:"step"`
	Command string        `json:"command"`
	PID     int           `json:"pid"`
	Since   time.Time     `json:"since"`
	Timeout time.Duration `json:"timeout_ns,omitempty"` // 0: no time limit
}

// Main is the main command.
type Main struct {
	Argv     []string  `json:"argv"`
	PID      int       `json:"pid"`
	Started  time.Time `json:"started"`
	Running  bool      `json:"running"`
	ExitCode *int      `json:"exit_code,omitempty"` // once it has exited (128+N after signal N)
}

// CronJob is one cron job.
type CronJob struct {
	Job       string        `json:"job"` // file:line
	Schedule  string        `json:"schedule"`
	User      string        `json:"user"` // the user field, or the owner of a user crontab
	Command   string        `json:"command"`
	Running   bool          `json:"running"`
	Runs      int           `json:"runs"`
	LastStart time.Time     `json:"last_start,omitzero"`
	LastCode  int           `json:"last_code"`
	LastTook  time.Duration `json:"last_duration_ns"`
	NextRun   time.Time     `json:"next_run,omitzero"`
}

// Timer is one timer unit, as systemctl list-timers shows it.
type Timer struct {
	Name      string    `json:"name"`
	Activates string    `json:"activates"`         // the unit it starts
	State     string    `json:"state"`             // waiting, running, elapsed, dead, failed
	Next      time.Time `json:"next,omitzero"`     // its next elapse
	Last      time.Time `json:"last,omitzero"`     // its last elapse
	Skipped   string    `json:"skipped,omitempty"` // why it is not armed ("cron runs /etc/cron.d/x")
}

// Service is one unit PID 1 has started or tried to, as systemctl shows it.
type Service struct {
	Name     string    `json:"name"`
	State    string    `json:"state"`              // ActiveState: active, activating, deactivating, reloading, inactive, failed
	Sub      string    `json:"sub_state"`          // SubState: running, exited, dead, auto-restart…
	Result   string    `json:"result,omitempty"`   // systemd's Result: success, exit-code, signal, timeout…
	MainPID  int       `json:"main_pid,omitempty"` // 0: none
	Since    time.Time `json:"since,omitzero"`     // when it entered its state
	Restarts int       `json:"restarts"`           // automatic restarts (Restart=)
	LastExit string    `json:"last_exit,omitempty"`
	// Skipped says why the unit does not run ("condition: ...").
	Condition string `json:"condition,omitempty"`
	// LastLines are a failed unit's last output lines, oldest first
	// (journalctl -u NAME has more).
	LastLines []string `json:"last_lines,omitempty"`
}

// Processes counts boxinit's children.
type Processes struct {
	Children      int    `json:"children"`
	OrphansReaped uint64 `json:"orphans_reaped"`
}

// Cron is the scheduler's view.
type Cron struct {
	Jobs     []CronJob `json:"jobs"`
	Rejected []string  `json:"rejected_lines,omitempty"`
	Refused  []string  `json:"refused_files,omitempty"` // crontabs refused whole: "FILE: reason"
}

const (
	maxConns   = 64 // open connections; an idle one makes room for a new one
	maxRequest = 4096
)

// connTimeout bounds a connection's life (a variable for the tests).
var connTimeout = 2 * time.Second

// Listen creates the control socket at path with mode 0600 from the start
// (its directory created, a stale socket replaced), so that no client can
// connect while its mode is wider. It sets the process umask for the
// bind(2): call it before boxinit starts any child or other goroutine that
// creates files.
func Listen(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
		_ = os.Remove(path) // stale, from a previous run
	}
	old := syscall.Umask(0o177)
	l, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	return l, nil
}

// Serve answers requests on l until ctx ends, then closes l and removes
// its socket. snapshot builds the document for each request. A slow or
// hostile client cannot block PID 1 or starve a readiness probe: every
// connection has a deadline, requests are small, and when maxConns are
// open the one that has waited longest without sending its request is
// closed to make room.
func Serve(ctx context.Context, l net.Listener, snapshot func() Document, log *slog.Logger) {
	ServeControl(ctx, l, snapshot, nil, log)
}

// Control answers a request whose verb is not "status" (systemctl's):
// raw is the request line; ok false means the verb is unknown. It may take
// as long as the request needs (a unit's start): the connection's
// deadline is then controlTimeout.
type Control func(verb string, raw []byte) (answer any, ok bool)

// controlTimeout bounds a control request (a start waits for the unit's
// TimeoutStartSec=, 90 s by default).
var controlTimeout = 10 * time.Minute

// ServeControl is Serve with control answering the other verbs.
func ServeControl(ctx context.Context, l net.Listener, snapshot func() Document, control Control, log *slog.Logger) {
	go func() {
		<-ctx.Done()
		l.Close()
	}()
	var open clients
	for {
		conn, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				if a, ok := l.Addr().(*net.UnixAddr); ok {
					_ = os.Remove(a.Name)
				}
				return
			}
			log.Warn("control socket accept failed", "err", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		c := open.admit(conn)
		go func() {
			defer open.release(c)
			serveConn(c, &open, snapshot, control, log)
		}()
	}
}

// clients are the open connections of Serve.
type clients struct {
	mu   sync.Mutex
	open map[*client]struct{}
}

type client struct {
	net.Conn
	accepted time.Time
	waiting  bool // its request has not been read yet
}

// admit counts conn in, closing the longest-waiting idle connection when
// maxConns are open.
func (cs *clients) admit(conn net.Conn) *client {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.open == nil {
		cs.open = map[*client]struct{}{}
	}
	if len(cs.open) >= maxConns {
		var oldest *client
		for c := range cs.open {
			if c.waiting && (oldest == nil || c.accepted.Before(oldest.accepted)) {
				oldest = c
			}
		}
		if oldest != nil {
			delete(cs.open, oldest)
			oldest.Close()
		}
	}
	c := &client{Conn: conn, accepted: time.Now(), waiting: true}
	cs.open[c] = struct{}{}
	return c
}

// answering marks c as past its request: it is not closed for room.
func (cs *clients) answering(c *client) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c.waiting = false
}

func (cs *clients) release(c *client) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	delete(cs.open, c)
	c.Close()
}

type request struct {
	Verb string `json:"verb"`
}

func serveConn(conn *client, open *clients, snapshot func() Document, control Control, log *slog.Logger) {
	_ = conn.SetDeadline(time.Now().Add(connTimeout))
	line, err := bufio.NewReader(io.LimitReader(conn, maxRequest)).ReadString('\n')
	if err != nil {
		return // too slow, too big, gone, or closed to make room
	}
	open.answering(conn)
	var req request
	err = json.Unmarshal([]byte(line), &req)
	if err == nil && req.Verb != "status" && control != nil {
		_ = conn.SetDeadline(time.Now().Add(controlTimeout))
		if answer, ok := control(req.Verb, []byte(line)); ok {
			if err := json.NewEncoder(conn).Encode(answer); err != nil {
				log.Debug("control socket write failed", "err", err)
			}
			return
		}
	}
	if err != nil || req.Verb != "status" {
		_ = json.NewEncoder(conn).Encode(map[string]any{"version": Version, "error": fmt.Sprintf("unknown request %q: want {\"verb\":\"status\"}", strings.TrimSpace(line))})
		return
	}
	if err := json.NewEncoder(conn).Encode(snapshot()); err != nil {
		log.Debug("control socket write failed", "err", err)
	}
}

// Query asks the boxinit listening at path for its status.
func Query(path string, timeout time.Duration) (*Document, error) {
	conn, err := net.DialTimeout("unix", path, timeout)
	if err != nil {
		return nil, explain(path, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	if _, err := io.WriteString(conn, `{"verb":"status"}`+"\n"); err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	var d Document
	if err := json.NewDecoder(conn).Decode(&d); err != nil {
		return nil, fmt.Errorf("control socket %s: no answer: %w", path, err)
	}
	return &d, nil
}

// Call sends req (a JSON object with its "verb") to the boxinit listening
// at path and decodes its answer into answer, waiting up to timeout.
func Call(path string, req, answer any, timeout time.Duration) error {
	conn, err := net.DialTimeout("unix", path, 3*time.Second)
	if err != nil {
		return explain(path, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	if len(b) >= maxRequest {
		return fmt.Errorf("control socket %s: request of %d bytes: at most %d", path, len(b), maxRequest-1)
	}
	if _, err := conn.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("control socket %s: %w", path, err)
	}
	if err := json.NewDecoder(conn).Decode(answer); err != nil {
		return fmt.Errorf("control socket %s: no answer: %w", path, err)
	}
	return nil
}

// explain turns a dial error into the likely cause.
func explain(path string, err error) error {
	switch {
	case errors.Is(err, syscall.ENOENT):
		return fmt.Errorf("no boxinit control socket at %s: boxinit is not running here, or it was started with another --socket", path)
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return fmt.Errorf("permission denied on %s: the control socket is root's (run boxinit status as root)", path)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("nothing answers on %s: a stale socket, boxinit is not running", path)
	}
	return fmt.Errorf("control socket %s: %w", path, err)
}
