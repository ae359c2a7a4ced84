package services

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// procInfo is what /proc/PID/stat says about a process's place in the
// tree.
type procInfo struct {
	pid, ppid, pgrp, sid int
	state                byte
}

// parseStat reads pid, state, ppid, pgrp and session from a stat line
// ("pid (comm) state ppid pgrp session ..."; comm may hold anything, so
// it ends at the last ')').
func parseStat(b []byte) (procInfo, error) {
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 1 || end < open {
		return procInfo{}, fmt.Errorf("parse stat %q: no (comm)", b)
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b[:open])))
	if err != nil {
		return procInfo{}, fmt.Errorf("parse stat: pid: %w", err)
	}
	f := bytes.Fields(b[end+1:])
	if len(f) < 4 || len(f[0]) != 1 {
		return procInfo{}, fmt.Errorf("parse stat %q: short", b)
	}
	p := procInfo{pid: pid, state: f[0][0]}
	for i, dst := range []*int{&p.ppid, &p.pgrp, &p.sid} {
		if *dst, err = strconv.Atoi(string(f[i+1])); err != nil {
			return procInfo{}, fmt.Errorf("parse stat %q: %w", b, err)
		}
	}
	return p, nil
}

// listProcs reads every process of procDir; those that exit meanwhile are
// left out.
func listProcs(procDir string) []procInfo {
	des, err := os.ReadDir(procDir)
	if err != nil {
		return nil
	}
	out := make([]procInfo, 0, len(des))
	for _, de := range des {
		pid, err := strconv.Atoi(de.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(procDir, de.Name(), "stat"))
		if err != nil {
			continue
		}
		if p, err := parseStat(b); err == nil && p.pid == pid && p.state != 'Z' {
			out = append(out, p)
		}
	}
	return out
}

// unitProcesses finds the live processes of a unit without cgroups:
// the seeds (the pids boxinit started for the unit and its main pid), their
// descendants by parent pid, and every process whose session or process
// group is a seed or a found process (each command starts as a session
// leader, so a daemon that double-forks without setsid keeps the session of
// a seed after its parents exit and it is reparented). Linux never gives a
// pid still in use as a session or group id to a new process, so a live
// session id that is a seed's pid is the seed's session. Zombies are left
// out. Seeds is also pruned: a seed that is neither alive nor the session
// or group of a live process is dropped, so that its pid, once free, can
// never make an unrelated process a member.
func unitProcesses(procs []procInfo, seeds map[int]bool) []int {
	alive := map[int]bool{}
	usedAsID := map[int]bool{}
	for _, p := range procs {
		alive[p.pid] = true
		usedAsID[p.sid] = true
		usedAsID[p.pgrp] = true
	}
	for s := range seeds {
		if !alive[s] && !usedAsID[s] {
			delete(seeds, s)
		}
	}
	member := map[int]bool{}
	for s := range seeds {
		if alive[s] {
			member[s] = true
		}
	}
	for changed := true; changed; {
		changed = false
		for _, p := range procs {
			if member[p.pid] {
				continue
			}
			if member[p.ppid] || seeds[p.sid] || seeds[p.pgrp] || (member[p.sid] && p.sid != 0) || (member[p.pgrp] && p.pgrp != 0) {
				member[p.pid] = true
				changed = true
			}
		}
	}
	out := make([]int, 0, len(member))
	for _, p := range procs { // in /proc order: by pid
		if member[p.pid] {
			out = append(out, p.pid)
		}
	}
	return out
}
