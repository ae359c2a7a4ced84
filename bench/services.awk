# Reads the run= lines of bench/services.sh and prints two tables: issue 16's
# figures per contender (min–max over the runs; "–" where a run had no
# answer, with how many runs did not), and issue 19's PID-1 rows with the
# services and Debian's timers loaded (boxinit's first run).
# Usage: awk -f bench/services.awk services.out
/^run=/ {
	c = ""
	for (i = 1; i <= NF; i++) {
		split($i, kv, "=")
		if (kv[1] == "contender") {
			c = kv[2]
			if (!(c in seen)) { seen[c] = 1; order[++n] = c }
		}
	}
	for (i = 1; i <= NF; i++) {
		split($i, kv, "=")
		k = c SUBSEP kv[1]
		if (kv[2] == "-") { miss[k]++; continue }
		if (!(k in lo) || kv[2] + 0 < lo[k] + 0) lo[k] = kv[2]
		if (!(k in hi) || kv[2] + 0 > hi[k] + 0) hi[k] = kv[2]
		if (kv[1] == "exit" && !index(" " codes[c] " ", " " kv[2] " ")) codes[c] = (codes[c] == "") ? kv[2] : codes[c] " " kv[2]
	}
	if (c != "") runs[c]++
	if ($1 == "run=1") for (i = 1; i <= NF; i++) { split($i, kv, "="); first[c SUBSEP kv[1]] = kv[2]; if (kv[1] ~ /^idle-ticks/) idlekey = kv[1] }
}
function once(c, key) { return (c SUBSEP key in first) ? first[c SUBSEP key] : "–" }
function range(c, key, scale, fmt,   k, a, b, s) {
	k = c SUBSEP key
	if (k in lo) {
		a = sprintf(fmt, lo[k] / scale); b = sprintf(fmt, hi[k] / scale)
		s = (a == b) ? a : a "–" b
	} else s = "–"
	if (k in miss) s = s " (" miss[k] "/" runs[c] " none)"
	return s
}
function row(figure, key, scale, fmt,   i, line) {
	line = "| " figure
	for (i = 1; i <= n; i++) line = line " | " range(order[i], key, scale, fmt)
	print line " |"
}
END {
	if (n == 0) exit
	head = "| figure"; sep = "| ---"
	for (i = 1; i <= n; i++) { head = head " | " order[i]; sep = sep " | ---" }
	print head " |"; print sep " |"
	row("all four answer, s after `podman run`", "all", 1, "%.2f")
	row("nginx HTTP 200 (s)", "nginx", 1, "%.2f")
	row("redis PONG (s)", "redis", 1, "%.2f")
	row("postgresql `select 1` (s)", "postgresql", 1, "%.2f")
	row("sshd banner (s)", "sshd", 1, "%.2f")
	row("`kill -9` redis → PONG again (s)", "redis-back", 1, "%.2f")
	row("PID 1 VmRSS, 5 s after all answer (MiB)", "VmRSS", 1024, "%.1f")
	row("PID 1 RssAnon (MiB)", "RssAnon", 1024, "%.1f")
	row("PID 1 RssFile (MiB)", "RssFile", 1024, "%.1f")
	row("PID 1 threads", "Threads", 1, "%d")
	row("`podman stop -t 10` (s)", "stop", 1, "%.2f")
	line = "| exit code of `podman stop`"
	for (i = 1; i <= n; i++) line = line " | " codes[order[i]]
	print line " |"

	print ""
	head = "| first run, after the idle window | boxinit"; sep = "| --- | ---"
	if ("dsr-fixed" in seen) { head = head " | dsr-fixed"; sep = sep " | ---" }
	print head " |"; print sep " |"
	split("idle-VmHWM idle-RssAnon idle-RssFile idle-VmRSS " idlekey " idle-ref-file idle-ref-anon used-ref-file used-ref-anon", f, " ")
	split("PID 1 VmHWM (KiB)|PID 1 RssAnon (KiB)|PID 1 RssFile (KiB)|PID 1 VmRSS (KiB)|PID 1 CPU ticks idle over " substr(idlekey, 12) "|working set idle: file-backed KiB referenced|working set idle: anonymous KiB referenced|working set through kill -9 redis + `systemctl status`: file KiB|the same: anonymous KiB", label, "|")
	for (j = 1; j <= 9; j++) {
		line = "| " label[j] " | " once("boxinit", f[j])
		if ("dsr-fixed" in seen) line = line " | " once("dsr-fixed", f[j])
		print line " |"
	}
}
