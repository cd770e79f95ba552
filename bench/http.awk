# bench/http.sh's summary: per figure the median of the runs and their
# min-max, then the HTTP API's targets, each against its comparison
# measured in the same run.

$1 == "RESULT" {
	n[$2]++
	v[$2, n[$2]] = $3 + 0
	unit[$2] = $4
}

# The median of key k's runs; lo[k] and hi[k] their range.
function med(k,    a, i, j, t) {
	for (i = 1; i <= n[k]; i++)
		a[i] = v[k, i]
	for (i = 2; i <= n[k]; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	lo[k] = a[1]
	hi[k] = a[n[k]]
	if (n[k] % 2)
		return a[(n[k] + 1) / 2]
	return (a[n[k] / 2] + a[n[k] / 2 + 1]) / 2
}

function verdict(ok) { return ok == "-" ? "no target" : ok ? "met" : "MISSED" }

# "what: A against B (ratio), target T: met"
function target(what, k, against, ok, how) {
	if (!(k in m) || !(against in m))
		return
	printf "%s: %g %s against %g %s (%s): %s\n", what, m[k],
	    unit[k], m[against], unit[against], how, verdict(ok)
}

END {
	for (k in n)
		m[k] = med(k)
	for (k in n)
		printf "%-28s %10.3f %-6s median of %d (%g-%g)\n", k, m[k],
		    unit[k], n[k], lo[k], hi[k] | "sort"
	close("sort")
	print ""
	if ("podctl.logs_live" in m)
		target("SSE follow while written", "http.sse_live",
		    "podctl.logs_live",
		    m["http.sse_live"] >= m["podctl.logs_live"] / 2,
		    sprintf("%.0f%% of podctl logs -f, target >= 50%%",
		    100 * m["http.sse_live"] / m["podctl.logs_live"]))
	if ("podctl.logs_ended" in m)
		target("SSE of the ended log", "http.sse_ended",
		    "podctl.logs_ended",
		    m["http.sse_ended"] >= m["podctl.logs_ended"] / 2,
		    sprintf("%.0f%% of podctl logs, target >= 50%%",
		    100 * m["http.sse_ended"] / m["podctl.logs_ended"]))
	if ("http.list_big" in m)
		target(sprintf("GET /v1/pods with %d pods", m["http.pods_big"]),
		    "http.list_big", "http.podctl_status_big",
		    m["http.list_big"] <= 100, "target <= 100 ms")
	if ("pv.stop_req" in m) {
		r = m["http.stop_req"] / m["pv.stop_req"]
		target("POST /v1/pods/ID/stop -> 202", "http.stop_req",
		    "pv.stop_req", "-", sprintf("%.1fx the control socket's " \
		    "stop; p99 %g against %g ms", r, m["http.stop_req_p99"],
		    m["pv.stop_req_p99"]))
	}
	if ("pv.spawn_req" in m) {
		r = m["http.spawn_req"] / m["pv.spawn_req"]
		target("POST /v1/pods -> 201", "http.spawn_req", "pv.spawn_req",
		    "-", sprintf("%.1fx the control socket's spawn; p99 %g " \
		    "against %g ms", r, m["http.spawn_req_p99"],
		    m["pv.spawn_req_p99"]))
	}
}
