# Turn RESULT lines ("RESULT key value unit", one per run) into the
# benchmark table: per figure the median and min-max, what it is compared
# with (measured in the same run), the ratio, and the target.
# Variables: cancel_ms, term_ms (the benchmark daemon's graces), bigpods.

$1 == "RESULT" {
	key = $2
	n[key]++
	v[key, n[key]] = $3 + 0
	unit[key] = $4
}

# Sort the samples of key k (insertion sort: a handful of runs).
function sorted(k,    i, j, t) {
	for (i = 2; i <= n[k]; i++)
		for (j = i; j > 1 && v[k, j - 1] > v[k, j]; j--) {
			t = v[k, j]; v[k, j] = v[k, j - 1]; v[k, j - 1] = t
		}
}

function have(k) { return (k in n) }

function med(k) {
	if (!have(k))
		return ""
	return v[k, int((n[k] + 1) / 2)]
}

# "12.3 (11.9-13.0) ms"
function fig(k,    lo, hi) {
	if (!have(k))
		return "not measured"
	lo = v[k, 1]; hi = v[k, n[k]]
	return sprintf("%s (%s-%s) %s", num(med(k)), num(lo), num(hi), unit[k])
}

function num(x) {
	if (x >= 100)
		return sprintf("%.0f", x)
	if (x >= 10)
		return sprintf("%.1f", x)
	return sprintf("%.2f", x)
}

function verdict(ok) { return ok ? "met" : "MISSED" }

function row(what, figure, against, ratio, target, ok) {
	printf "| %s | %s | %s | %s | %s | %s |\n", what, figure, against,
	    ratio, target, ok == "" ? "-" : verdict(ok)
}

END {
	for (k in n)
		sorted(k)
	print ""
	print "| scenario | podvisor: median (min-max) | compared with (same run) | ratio | target | |"
	print "|---|---|---|---|---|---|"

	# Spawn rate: half the fork+exec rate (each pod is two execs).
	floorrate = med("floor.forkexec_rate") / 2
	sup = have("peer.supervisord.start") ? 500 / (med("peer.supervisord.start") / 1000) : 0
	s6 = have("peer.s6.start") ? 500 / (med("peer.s6.start") / 1000) : 0
	pv = med("pv.spawn_running_rate")
	if (have("pv.spawn_running_rate") && floorrate > 0)
		row("spawn 1,000 `sleep` pods, one connection (until running)",
		    fig("pv.spawn_running_rate"),
		    sprintf("fork+exec rate / 2: %.0f/s", floorrate),
		    sprintf("%.2f", pv / floorrate), ">= 0.5", pv / floorrate >= 0.5)
	if (have("pv.spawn_rate"))
		row("  the same, until the last ok reply", fig("pv.spawn_rate"),
		    "", "", "", "")
	if (sup > 0 && pv > 0)
		row("  against supervisord (500 programs, until RUNNING)", "",
		    sprintf("%.0f/s", sup), sprintf("%.1fx", pv / sup), ">= 10x",
		    pv / sup >= 10)
	if (s6 > 0 && pv > 0)
		row("  against s6 (500 services, until up)", "",
		    sprintf("%.0f/s", s6), sprintf("%.1fx", pv / s6), ">= 2.5x",
		    pv / s6 >= 2.5)
	if (have("pv.crowd_spawn_running_rate") && pv > 0)
		row(sprintf("  the same beside %d running pods", med("pods.big")),
		    fig("pv.crowd_spawn_running_rate"), "with no other pod running: " \
		    fig("pv.spawn_running_rate"), sprintf("%.2f",
		    med("pv.crowd_spawn_running_rate") / pv), "", "")

	# spawn --wait: 2 x three fork+exec round trips.  The floor that the
	# contract allows adds a pod log's life: created, two commits, the
	# exit entry synced (floor.podlog).
	fe = med("floor.forkexec")
	pl = med("floor.podlog")
	if (have("podctl.spawn_wait") && fe > 0)
		row("`podctl spawn --wait -- true`", fig("podctl.spawn_wait"),
		    sprintf("3 x fork+exec: %.2f ms", 3 * fe),
		    sprintf("%.1fx", med("podctl.spawn_wait") / (3 * fe)),
		    "<= 2x", med("podctl.spawn_wait") <= 6 * fe)
	if (have("podctl.spawn_wait") && fe > 0 && pl > 0)
		row("  against the floor with a durable log", "",
		    sprintf("3 x fork+exec + a pod log's life: %.2f ms",
		    3 * fe + pl),
		    sprintf("%.1fx", med("podctl.spawn_wait") / (3 * fe + pl)),
		    "", "")
	if (have("pv.spawn_wait") && fe > 0)
		row("  the same from the C client", fig("pv.spawn_wait"), "",
		    sprintf("%.1fx", med("pv.spawn_wait") / (3 * fe)), "", "")
	if (have("podctl.spawn_wait_big") && have("podctl.spawn_wait"))
		row(sprintf("  the same beside %d running pods", med("pods.big")),
		    fig("podctl.spawn_wait_big"), "with no other pod running: " \
		    fig("podctl.spawn_wait"), sprintf("%.2f",
		    med("podctl.spawn_wait_big") / med("podctl.spawn_wait")),
		    "", "")

	# One cooperative stop: within 0.5 ms of kill+reap.  The exit entry's
	# sync comes on top of any stop (one synced commit: floor.lmdb_synced).
	kr = med("floor.killreap")
	sc = have("floor.lmdb_synced") ? 1000 / med("floor.lmdb_synced") : 0
	if (have("pv.stop_one") && have("floor.killreap"))
		row("cooperative stop of one pod", fig("pv.stop_one"),
		    sprintf("kill+reap: %.3f ms", kr),
		    sprintf("+%.2f ms", med("pv.stop_one") - kr), "<= +0.5 ms",
		    med("pv.stop_one") - kr <= 0.5)
	if (have("pv.stop_one") && sc > 0)
		row("  against kill+reap and one synced commit", "",
		    sprintf("%.3f ms", kr + sc),
		    sprintf("+%.2f ms", med("pv.stop_one") - kr - sc), "", "")

	if (have("pv.stop_one") && have("floor.podend1"))
		row("  against one pod's end without podvisor (floor.podend1)", "",
		    sprintf("%.3f ms", med("floor.podend1")),
		    sprintf("%.1fx", med("pv.stop_one") / med("floor.podend1")),
		    "", "")

	# Trees.
	pg = med("floor.pgkill1000")
	if (have("pv.tree_stop_coop") && pg > 0)
		row("stop a 1,111-pod tree (fan-out 10, depth 3), cooperative",
		    fig("pv.tree_stop_coop"),
		    sprintf("kill(-pgid)+reap of 1,000: %.1f ms", pg),
		    sprintf("%.1fx", med("pv.tree_stop_coop") / pg), "<= 3x",
		    med("pv.tree_stop_coop") <= 3 * pg)
	# floor.podend*: as many pods' ends (two processes and a log each)
	# with no podvisor code, the floor of this design's stops.
	pe = med("floor.podend1111")
	if (have("pv.tree_stop_coop") && have("floor.podend1111") && pg > 0)
		row("  against 1,111 pods' ends without podvisor (floor.podend1111)",
		    "", sprintf("%.0f ms, itself %.1fx kill(-pgid)+reap", pe,
		    pe / pg), sprintf("%.1fx", med("pv.tree_stop_coop") / pe),
		    "", "")
	if (have("floor.podend1111_nolog") && pg > 0)
		row("  the same ends without a log per pod (floor.podend1111_nolog)",
		    "", sprintf("%.0f ms, itself %.1fx kill(-pgid)+reap",
		    med("floor.podend1111_nolog"), med("floor.podend1111_nolog") / pg),
		    "", "", "")
	g = cancel_ms + term_ms
	if (have("pv.tree_stop_uncoop"))
		row("the same tree, ignoring SIGINT and SIGTERM",
		    fig("pv.tree_stop_uncoop"),
		    sprintf("graces: %d ms", g),
		    sprintf("+%.0f ms", med("pv.tree_stop_uncoop") - g),
		    "<= +100 ms", med("pv.tree_stop_uncoop") <= g + 100)
	if (have("pv.tree_stop_uncoop") && pg > 0)
		row("  against the graces and the 1,111 workloads' SIGKILL alone",
		    "", sprintf("%d + %.0f ms (kill(-pgid)+reap x 1.111)", g,
		    pg * 1.111), sprintf("%+.0f ms",
		    med("pv.tree_stop_uncoop") - g - pg * 1.111), "", "")

	# 500 flat pods against the peers' stop of 500.
	fl = med("pv.stop_flat")
	if (have("pv.stop_flat") && have("peer.supervisord.stop"))
		row("stop 500 flat pods", fig("pv.stop_flat"),
		    "supervisord: " fig("peer.supervisord.stop"),
		    sprintf("%.1fx faster", med("peer.supervisord.stop") / fl),
		    ">= 5x", med("peer.supervisord.stop") >= 5 * fl)
	if (have("pv.stop_flat") && have("peer.s6.stop"))
		row("", "", "s6: " fig("peer.s6.stop"),
		    sprintf("%.1fx faster", med("peer.s6.stop") / fl),
		    ">= 5x", med("peer.s6.stop") >= 5 * fl)
	if (have("pv.stop_flat") && have("floor.podend500"))
		row("  against 500 pods' ends without podvisor (floor.podend500)",
		    "", fig("floor.podend500"),
		    sprintf("%.1fx", fl / med("floor.podend500")), "", "")

	# Memory.
	if (have("runtime.uss"))
		row("USS of an idle pod runtime (the second of two)",
		    fig("runtime.uss"), have("runtime.uss_alone") ? "alone: " \
		    fig("runtime.uss_alone") : "", "", "<= 200 KiB",
		    med("runtime.uss") <= 200)
	if (have("podvisord.rss_1000"))
		row("podvisord RSS with 1,000 pods", fig("podvisord.rss_1000"),
		    have("peer.supervisord.rss") ? "supervisord with 500: " \
		    fig("peer.supervisord.rss") : "", "", "<= 20 MiB",
		    med("podvisord.rss_1000") <= 20 * 1024)
	if (have("podvisord.rss_big"))
		row(sprintf("podvisord RSS with %d pods", med("pods.big")),
		    fig("podvisord.rss_big"),
		    have("peer.s6.pss") ? "s6, svscan + 500 supervise (PSS): " \
		    fig("peer.s6.pss") : "", "", "<= 64 MiB at 10,000",
		    med("podvisord.rss_big") <= 64 * 1024)

	# status.
	if (have("podctl.status_json_big"))
		row(sprintf("`podctl status --json` with %d pods", med("pods.big")),
		    fig("podctl.status_json_big"),
		    "with 1,000: " fig("podctl.status_json_1000"), "",
		    "<= 50 ms", med("podctl.status_json_big") <= 50)
	if (have("podctl.status_json_big") && have("pv.status"))
		row("  against the C client's status (records, no JSON)", "",
		    fig("pv.status"), sprintf("%.2f",
		    med("podctl.status_json_big") / med("pv.status")), "", "")

	# Output capture against a pipe into batched LMDB.
	if (have("pv.capture_lines") && have("floor.pipe_lines"))
		row("capture 100-byte lines", fig("pv.capture_lines"),
		    "pipe into LMDB: " fig("floor.pipe_lines"),
		    sprintf("%.2f", med("pv.capture_lines") / med("floor.pipe_lines")),
		    ">= 0.5", med("pv.capture_lines") >= 0.5 * med("floor.pipe_lines"))
	if (have("pv.capture_blocks") && have("floor.pipe_blocks"))
		row("capture 64 KiB blocks", fig("pv.capture_blocks"),
		    "pipe into LMDB: " fig("floor.pipe_blocks"),
		    sprintf("%.2f", med("pv.capture_blocks") / med("floor.pipe_blocks")),
		    ">= 0.5", med("pv.capture_blocks") >= 0.5 * med("floor.pipe_blocks"))
	if (have("pv.capture_lost"))
		row("  output lost", fig("pv.capture_lost"), "", "", "0",
		    v["pv.capture_lost", n["pv.capture_lost"]] == 0)

	if (have("podctl.logs"))
		row("`podctl logs` of the log to /dev/null", fig("podctl.logs"),
		    have("pv.logs") ? "C client: " fig("pv.logs") : "", "",
		    ">= 500 MB/s", med("podctl.logs") >= 500)

	# The HTTP API (bench/http.sh), each against the control socket.
	if (have("http.stop_req") && have("pv.stop_req"))
		row("`POST /v1/pods/ID/stop` until its 202", fig("http.stop_req"),
		    "control socket's stop: " fig("pv.stop_req"),
		    sprintf("%.1fx", med("http.stop_req") / med("pv.stop_req")),
		    "", "")
	if (have("http.spawn_req") && have("pv.spawn_req"))
		row("`POST /v1/pods` until its 201", fig("http.spawn_req"),
		    "control socket's spawn: " fig("pv.spawn_req"),
		    sprintf("%.1fx", med("http.spawn_req") / med("pv.spawn_req")),
		    "", "")
	if (have("http.sse_live") && have("podctl.logs_live"))
		row("SSE follow of the log while it is written",
		    fig("http.sse_live"), "podctl logs -f: " fig("podctl.logs_live"),
		    sprintf("%.2f", med("http.sse_live") / med("podctl.logs_live")),
		    ">= 0.5", med("http.sse_live") >= 0.5 * med("podctl.logs_live"))
	if (have("http.sse_ended") && have("podctl.logs_ended"))
		row("SSE of the ended log", fig("http.sse_ended"),
		    "podctl logs: " fig("podctl.logs_ended"),
		    sprintf("%.2f", med("http.sse_ended") / med("podctl.logs_ended")),
		    ">= 0.5", med("http.sse_ended") >= 0.5 * med("podctl.logs_ended"))
	if (have("http.list_big"))
		row(sprintf("`GET /v1/pods` with %d pods", med("http.pods_big")),
		    fig("http.list_big"), "podctl --json status: " \
		    fig("http.podctl_status_big"), "", "<= 100 ms",
		    med("http.list_big") <= 100)

	if (have("driver.total"))
		row("the benchmark driver in full", fig("driver.total"), "", "",
		    "< 600 s", med("driver.total") < 600)

	print ""
	print "Floor, same run:"
	for (k in n)
		if (k ~ /^(floor|peer)\./)
			printf "- %s: %s\n", k, fig(k)
}
