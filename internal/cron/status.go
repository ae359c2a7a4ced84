package cron

import "time"

// JobStatus is what `boxinit status` shows of a job.
type JobStatus struct {
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

// Jobs returns the state of every job, in file and line order.
func (s *Scheduler) Jobs(now time.Time) []JobStatus {
	s.mu.Lock()
	var out []JobStatus
	var calendar []*Entry
	for _, j := range s.jobs() {
		st := JobStatus{Job: j.ID(), Schedule: j.Spec, User: j.User, Command: j.Command, Running: j.running,
			Runs: j.runs, LastStart: j.lastStart, LastCode: j.lastCode, LastTook: j.lastTook}
		if j.every > 0 {
			st.NextRun = j.nextEvery
		}
		out = append(out, st)
		calendar = append(calendar, j.Entry)
	}
	s.mu.Unlock()
	for i, e := range calendar { // entries are replaced on reload, never changed: safe to read unlocked
		if e.spec != nil {
			out[i].NextRun = nextRun(e, now)
		}
	}
	return out
}
