// Package procfs reads the process table from a procfs directory: which
// processes exist, their parents and their states. It parses from bytes so
// that tests feed it fixed /proc trees.
package procfs

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// Stat is the start of /proc/PID/stat.
type Stat struct {
	PID, PPID int
	// State is R (running), S (sleeping), D (disk sleep), Z (zombie), T
	// (stopped), ...
	State byte
}

// ParseStat parses "pid (comm) state ppid ...". comm may hold spaces and
// parentheses, so it ends at the last ')'.
func ParseStat(b []byte) (Stat, error) {
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 1 || end < open {
		return Stat{}, fmt.Errorf("parse stat %q: no (comm)", b)
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b[:open])))
	if err != nil {
		return Stat{}, fmt.Errorf("parse stat: pid: %w", err)
	}
	fields := bytes.Fields(b[end+1:])
	if len(fields) < 2 || len(fields[0]) != 1 || !isLetter(fields[0][0]) {
		return Stat{}, fmt.Errorf("parse stat %q: want state and ppid after comm", b)
	}
	ppid, err := strconv.Atoi(string(fields[1]))
	if err != nil {
		return Stat{}, fmt.Errorf("parse stat: ppid: %w", err)
	}
	return Stat{PID: pid, PPID: ppid, State: fields[0][0]}, nil
}

func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }

// ReadStat reads procDir/PID/stat.
func ReadStat(procDir string, pid int) (Stat, error) {
	b, err := os.ReadFile(filepath.Join(procDir, strconv.Itoa(pid), "stat"))
	if err != nil {
		return Stat{}, err
	}
	return ParseStat(b)
}

// List reads the stat of every process in procDir. Processes that exit
// while it reads are left out.
func List(procDir string) ([]Stat, error) {
	entries, err := os.ReadDir(procDir)
	if err != nil {
		return nil, err
	}
	out := make([]Stat, 0, len(entries))
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := ReadStat(procDir, pid); err == nil && st.PID == pid {
			out = append(out, st)
		}
	}
	return out, nil
}

// Descendants lists the pids below root in the process tree, breadth first.
func Descendants(procs []Stat, root int) []int {
	children := map[int][]int{}
	for _, p := range procs {
		children[p.PPID] = append(children[p.PPID], p.PID)
	}
	var out []int
	queue := children[root]
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		out = append(out, pid)
		queue = append(queue, children[pid]...)
	}
	return out
}
