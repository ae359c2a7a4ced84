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
	"syscall"
	"time"

	"github.com/boxinit/boxinit/internal/boot"
	"github.com/boxinit/boxinit/internal/cron"
	"github.com/boxinit/boxinit/internal/reaper"
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
	Version    int           `json:"version"`
	Boxinit    string        `json:"boxinit_version"`
	PID        int           `json:"pid"`
	Mode       string        `json:"mode"` // "pid1" or "subreaper"
	Started    time.Time     `json:"started"`
	State      string        `json:"state"`
	ReadySince time.Time     `json:"ready_since,omitzero"`
	Boot       []boot.Result `json:"boot"`
	// BootRunning is the hook or customization command boot waits for.
	BootRunning *boot.Running `json:"boot_running,omitempty"`
	// HostCertExpires is when the first of sshd's host certificates
	// expires (boot signs them again when a quarter of a year is left).
	HostCertExpires time.Time          `json:"host_cert_expires,omitzero"`
	Main            *reaper.MainStatus `json:"main,omitempty"`
	Processes       Processes          `json:"processes"`
	Cron            *Cron              `json:"cron,omitempty"`
}

// Processes counts boxinit's children.
type Processes struct {
	Children      int    `json:"children"`
	OrphansReaped uint64 `json:"orphans_reaped"`
}

// Cron is the scheduler's view.
type Cron struct {
	Jobs     []cron.JobStatus `json:"jobs"`
	Rejected []string         `json:"rejected_lines,omitempty"`
}

const (
	maxClients  = 8
	maxRequest  = 1024
	connTimeout = 2 * time.Second
)

// Serve answers requests on a Unix socket at path (mode 0600, its
// directory created, a stale socket replaced) until ctx ends. snapshot
// builds the document for each request. A slow or hostile client cannot
// block PID 1: every connection has a deadline, requests are small, and at
// most a few are served at once (more wait in the listen queue).
func Serve(ctx context.Context, path string, snapshot func() Document, log *slog.Logger) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("control socket %s: %w", path, err)
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
		_ = os.Remove(path) // stale, from a previous run
	}
	// Created with umask 022 the socket has no write bit for others, and
	// connecting needs it: no window in which a non-root client gets in.
	l, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("control socket %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return fmt.Errorf("control socket %s: %w", path, err)
	}
	go func() {
		<-ctx.Done()
		l.Close()
	}()
	slots := make(chan struct{}, maxClients)
	for {
		conn, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				_ = os.Remove(path)
				return nil
			}
			log.Warn("control socket accept failed", "err", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		slots <- struct{}{}
		go func() {
			defer func() { <-slots }()
			serveConn(conn, snapshot, log)
		}()
	}
}

type request struct {
	Verb string `json:"verb"`
}

func serveConn(conn net.Conn, snapshot func() Document, log *slog.Logger) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(connTimeout))
	line, err := bufio.NewReader(io.LimitReader(conn, maxRequest)).ReadString('\n')
	if err != nil {
		return // too slow, too big or gone
	}
	var req request
	if err := json.Unmarshal([]byte(line), &req); err != nil || req.Verb != "status" {
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
