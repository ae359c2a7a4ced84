# Reads the output of the Footprint and Boot benchmarks (go test -bench)
# and prints the figures of issue 19 as one table: boxinit beside its anchor.
# Usage: awk -f bench/table.awk bench.out
/^Benchmark/ {
	name = $1; sub(/-[0-9]+$/, "", name)
	for (i = 5; i < NF; i += 2) m[name "/" $(i + 1)] = $i
}
function v(key) { return (key in m) ? m[key] : "–" }
function row(figure, ours, theirs) { printf "| %s | %s | %s |\n", figure, ours, theirs }
END {
	print "| figure | boxinit | anchor |"
	print "| --- | --- | --- |"
	V = "BenchmarkFootprintVersion/"
	ratio = ((V "boxinit-ms") in m && m[V "gostatic-ms"] > 0) ? sprintf(" (%.2f× static Go)", m[V "boxinit-ms"] / m[V "gostatic-ms"]) : ""
	row("`version`, fork to exit (median ms)", v(V "boxinit-ms") ratio, "static Go " v(V "gostatic-ms"))
	row("`version`, max RSS (KiB)", v(V "boxinit-maxrss-KiB"), "static Go " v(V "gostatic-maxrss-KiB"))
	W = "BenchmarkFootprintSignalWindow/"
	row("exec to SIGTERM held (median / p95 ms)", v(W "boxinit-handler-ms") " / " v(W "boxinit-handler-p95-ms"), "tini " v(W "tini-handler-ms") " / " v(W "tini-handler-p95-ms"))
	E = "BenchmarkEarlySIGTERMAfterGoHandlers/"
	row("SIGTERM after the Go runtime's handlers: exit 2 (% at 0 / 250µs / 1ms)", v(E "exit2%-at-0s") " / " v(E "exit2%-at-250µs") " / " v(E "exit2%-at-1ms"), "tini: never exit 2")
	I = "BenchmarkFootprintIdle/"
	row("idle, 50 cron jobs, host keys made: VmHWM / RssAnon (KiB), threads", v(I "boxinit-VmHWM-KiB") " / " v(I "boxinit-RssAnon-KiB") ", " v(I "boxinit-threads"), "tini " v(I "tini-VmHWM-KiB") " / " v(I "tini-RssAnon-KiB") ", " v(I "tini-threads") "; supercronic " v(I "supercronic-VmHWM-KiB") " / " v(I "supercronic-RssAnon-KiB") ", " v(I "supercronic-threads"))
	S = "BenchmarkFootprintSleep/"
	row("VmHWM, `sleep` as main (KiB)", v(S "boxinit-VmHWM-KiB") " (RssAnon " v(S "boxinit-RssAnon-KiB") ")", "tini " v(S "tini-VmHWM-KiB") " (RssAnon " v(S "tini-RssAnon-KiB") ")")
	R = "BenchmarkFootprintReap5000/"
	row("PID-1 CPU, 5,000 orphans reaped (ms; ticks)", v(R "boxinit-cpu-ms") "; " v(R "boxinit-ticks") " (" v(R "boxinit/tini-cpu") "× tini)", "tini " v(R "tini-cpu-ms") "; " v(R "tini-ticks"))
	B = "BenchmarkBoot/"
	row("boot, cold: host keys made (ms)", v(B "boxinit-cold-ms") " (" v(B "rc.local/boxinit-cold") "× faster)", "rc.local " v(B "rc.local-cold-ms"))
	row("boot, warm: host keys there (ms)", v(B "boxinit-warm-ms") " (" v(B "rc.local/boxinit-warm") "× faster)", "rc.local " v(B "rc.local-warm-ms"))
	row("the same as an init, boot in a child, to `-- true` (cold / warm ms)", v(B "boxinit-init-cold-ms") " / " v(B "boxinit-init-warm-ms"), "")
	for (k in m) if (k ~ /ticks\/[0-9]+s$/) { split(k, p, "/"); t[p[2]] = m[k]; idle = p[3] }
	row("idle CPU (ticks / " idle ")", v(I "boxinit-ticks/" idle), "tini " v(I "tini-ticks/" idle) "; supercronic " v(I "supercronic-ticks/" idle))
	T = "BenchmarkFootprintIdleTimers/"
	row("idle CPU, services on, 10 timers armed (ticks; CPU µs; wake-ups / " idle ")", v(T "boxinit-ticks/" idle) "; " v(T "boxinit-cpu-µs/" idle) "; " v(T "boxinit-wakeups/" idle), "goal 0 ticks")
}
