#!/usr/bin/python3
"""Browser test of podvisor's web console, against a real podvisord.

Starts a private podvisord (socket, state directory and loopback port of
its own, --http), makes a pod tree with the Python client, and drives
Debian's Chromium through Debian's chromedriver with Selenium
(python3-selenium) over the console the daemon serves at GET /:

  - a request without the token (or with a wrong one) is refused with 401;
  - the tree renders: names, depths, states, chips with the right classes
    and colours (stopped grey, failed red, terminated/killed amber,
    succeeded green, live states and paused blue), Stop only on live pods;
  - Stop on a pod that ignores its cancel: the button is disabled and reads
    "Stopping… (SIGTERM in N s)", N agrees with next_stage_at and counts
    down, then the chip turns amber "terminated" and the button goes;
  - the log pane follows a pod that prints a line every 100 ms, live;
  - a screenshot (console.png), for a person to look at;
  - pause/resume and send on pods whose workload opened the pod API,
    folding subtrees, the keyboard alone and the page at 1280x800 and at
    a phone's 390 px (controls.py);
  - the core of the above in Firefox, through Marionette (firefox.py);
  - 1,000 more pods: the first full render, from navigation, under 1 s,
    and the page's event loop stays free while they all stop;
  - a long name shrinks to an ellipsis of its own; a removed pod's row
    goes at the next snapshot;
  - at the end the daemon exits 0 on SIGTERM, and no chromium,
    chromedriver, Firefox or pod process is left.

Every wait is on a condition with a deadline (WebDriverWait); nothing
sleeps (but Marionette's connect, polling for Firefox's port).  Prints "ok: STEP" or "FAIL: STEP: WHY" per step, and exits 1 if
any step failed (0 otherwise).

Environment: top_builddir (podvisord, podctl; default _build beside the
sources if it has them, else the source tree), top_srcdir, OUT_DIR (where
the screenshots go; default $top_builddir/tests/browser when top_builddir
is set, else tests/browser/out), CHROMIUM (/usr/bin/chromium),
CHROMEDRIVER (/usr/bin/chromedriver), FIREFOX (/usr/bin/firefox-esr),
KEEP=1 to keep the temporary directory, TIME_LIMIT (240 s).
"""

import base64
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

try:
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
except ImportError:
    print("FAIL: no selenium: apt-get install python3-selenium", file=sys.stderr)
    sys.exit(1)

from common import (BUILDDIR, EXPECTED_FAMILY, OUT_DIR, STOPPING_RE, TERMINAL,  # noqa: E402
                    Failure, check, family, free_port, parse_time, until)
from controls import ControlSteps  # noqa: E402
from firefox import FirefoxSteps  # noqa: E402

import podvisor  # noqa: E402  (the project's own client, from the tree)

PODVISORD = os.path.join(BUILDDIR, "podvisord")
PODCTL = os.path.join(BUILDDIR, "podctl")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")

HERD = 1000                 # pods of the load step
# These limits catch a page that gets slow by design (a render or an
# update that grows quadratically takes seconds at 1,000 rows), not speed:
# the step reports the times it saw.  They leave room for a slow or loaded
# machine (on two busy cores, seen: a first render in 1,047 ms, tasks up to
# 265 ms, timers late by up to 520 ms).
RENDER_LIMIT_MS = 3000      # navigation to the 1,000th row rendered
TASK_LIMIT_MS = 500         # the longest task the page may run (Long Tasks API)
LAG_LIMIT_MS = 1000         # the most a 10 ms timer may be late
CLICK_LIMIT_MS = 500        # a click on a pod's name until its row is selected
CATCH_UP_S = 3.0            # the daemon has them stopped until the page shows it

# ---- the test ------------------------------------------------------------


class ConsoleTest(ControlSteps, FirefoxSteps):
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="podvisor-browser.")
        self.sock = os.path.join(self.tmp, "sock")
        self.state = os.path.join(self.tmp, "state")
        self.daemon_log = os.path.join(self.tmp, "daemon.log")
        self.profile = os.path.join(self.tmp, "profile")
        self.daemon = None
        self.driver = None
        self.service = None
        self.client = None
        self.failures = []
        self.ids = {}
        self.port = None
        self.token = None

    # -- plumbing --

    def step(self, name, fn):
        t0 = time.monotonic()
        try:
            note = fn()
        except (Failure, AssertionError, WebDriverException, podvisor.PodvisorError,
                OSError) as e:
            self.failures.append(name)
            msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            print(f"FAIL: {name}: {msg}", flush=True)
            if not isinstance(e, Failure):
                traceback.print_exc(file=sys.stdout)
            return False
        extra = f" ({note})" if note else ""
        print(f"ok: {name} [{time.monotonic() - t0:.1f} s]{extra}", flush=True)
        return True

    def http(self, path, token=True, headers=None):
        """A GET to the daemon; (status, parsed JSON body or text)."""
        url = f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"
        req = urllib.request.Request(url, headers=dict(headers or {}))
        if token is True:
            req.add_header("Authorization", f"Bearer {self.token}")
        elif token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                status, body = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read()
        try:
            return status, json.loads(body)
        except ValueError:
            return status, body.decode("utf-8", "replace")

    def pod(self, ref):
        status, body = self.http(f"v1/pods/{ref}")
        check(status == 200, f"GET /v1/pods/{ref}: {status} {body}")
        return body

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def row_info(self, pod_id):
        """What the page shows for a pod, or None without a row."""
        return self.js("""
            var tr = document.querySelector('#rows tr[data-pod-id="' + arguments[0] + '"]');
            if (!tr) return null;
            var chip = tr.querySelector('.chip'), cs = getComputedStyle(chip);
            var btn = tr.querySelector('.c-act button.stop');
            return {name: tr.querySelector('button.name').textContent,
                    depth: tr.dataset.depth, hidden: tr.hidden,
                    chipClass: chip.className, chip: chip.textContent,
                    bg: cs.backgroundColor, fg: cs.color,
                    cmd: tr.querySelector('.c-cmd').textContent,
                    status: tr.querySelector('.c-status').textContent,
                    button: btn ? {disabled: btn.disabled,
                                   text: btn.querySelector('.bt').textContent} : null};
            """, pod_id)

    def shot(self, name):
        os.makedirs(OUT_DIR, exist_ok=True)
        path = os.path.join(OUT_DIR, name)
        png = self.driver.execute_cdp_cmd("Page.captureScreenshot",
                                          {"format": "png", "captureBeyondViewport": False})
        with open(path, "wb") as f:
            f.write(base64.b64decode(png["data"]))
        return path

    def browser_errors(self):
        """SEVERE entries of the browser's console log since the last call."""
        return [e["message"] for e in self.driver.get_log("browser")
                if e.get("level") == "SEVERE"]

    # -- setup --

    def start_daemon(self):
        check(os.access(PODVISORD, os.X_OK), f"no {PODVISORD}: build first")
        check(os.access(PODCTL, os.X_OK), f"no {PODCTL}: build first")
        for _attempt in range(3):       # another process may take the port first
            self.port = free_port()
            log = open(self.daemon_log, "ab")
            self.daemon = subprocess.Popen(
                [PODVISORD, "--socket", self.sock, "--state-dir", self.state,
                 "--http", f"127.0.0.1:{self.port}", "--max-pods", str(HERD + 100)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            log.close()

            def up():
                if self.daemon.poll() is not None:
                    return "died"
                try:
                    with socket.create_connection(("127.0.0.1", self.port), 0.5):
                        pass
                except OSError:
                    return False
                return os.path.exists(os.path.join(self.state, "http.token"))
            if until("podvisord answers on HTTP", up, 10) != "died":
                break
            self.daemon = None
        check(self.daemon is not None, "podvisord did not start: " + self.tail_log())
        with open(os.path.join(self.state, "http.token")) as f:
            self.token = f.read().strip()
        check(re.fullmatch(r"[A-Za-z0-9._~+/=-]+", self.token), "a token in http.token")
        self.client = podvisor.Client(self.sock)
        self.client.status()
        return f"port {self.port}"

    def make_tree(self):
        c, ids = self.client, self.ids
        # agent > (worker > helper), ticker, ok, bad: a parent with children.
        ids["agent"] = c.spawn(["sleep", "600"], name="agent")
        ids["worker"] = c.spawn(["sleep", "600"], name="worker", parent="agent")
        ids["helper"] = c.spawn(["sleep", "600"], name="helper", parent="worker")
        ids["ticker"] = c.spawn(
            ["sh", "-c", 'n=0; while :; do n=$((n + 1)); echo "tick $n"; sleep 0.1; done'],
            name="ticker", parent="agent")
        ids["ok"] = c.spawn(["sh", "-c", "echo done"], name="ok", parent="agent")
        ids["bad"] = c.spawn(["sh", "-c", "echo oops >&2; exit 3"], name="bad", parent="agent")
        # Top level: one that ignores its cancel (stopped by the page), one
        # that ends on its cancel (stopped), one that needs SIGKILL (killed),
        # one paused.
        ids["stubborn"] = c.spawn(["sh", "-c", 'trap "" INT; sleep 60'], name="stubborn",
                                  cancel_grace=3, term_grace=3)
        ids["quitter"] = c.spawn(["sleep", "600"], name="quitter")
        ids["hard"] = c.spawn(["sh", "-c", 'trap "" INT TERM; sleep 60'], name="hard",
                              cancel_grace=0.3, term_grace=0.3)
        ids["nap"] = c.spawn(["sleep", "600"], name="nap")
        c.wait("ok", "bad", timeout=10)
        # The stop must find the workloads running, their traps set.
        until("the pods are running", lambda: all(
            self.pod(n)["state"] == "running" for n in ("stubborn", "hard", "quitter", "nap")), 10)
        until("the traps are set", lambda: all(
            self.trap_set(n) for n in ("stubborn", "hard")), 10)
        c.stop("quitter", timeout=10)
        c.stop("hard", timeout=10)
        c.pause("nap", timeout=10)
        want = {"ok": "succeeded", "bad": "failed", "quitter": "stopped", "hard": "killed",
                "nap": "paused", "stubborn": "running", "ticker": "running"}
        for n, s in want.items():
            got = self.pod(n)["state"]
            check(got == s, f"fixture pod {n} is {got}, wanted {s}")
        return f"{len(ids)} pods"

    def trap_set(self, name):
        """Is the pod's sh now in its sleep (so its trap is set)?"""
        pid = self.pod(name).get("pid")
        if not pid:
            return False
        try:
            kids = open(f"/proc/{pid}/task/{pid}/children").read().split()
        except OSError:
            return False
        for k in kids:
            try:
                if open(f"/proc/{k}/comm").read().strip() == "sleep":
                    return True
            except OSError:
                pass
        return False

    def start_browser(self):
        for path, pkg in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
            check(os.access(path, os.X_OK), f"no {path}: apt-get install {pkg}")
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", f"--user-data-dir={self.profile}",
                  "--window-size=1280,1000", "--force-color-profile=srgb"):
            opts.add_argument(a)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.service = Service(CHROMEDRIVER, log_path=os.path.join(self.tmp, "chromedriver.log"))
        self.driver = webdriver.Chrome(service=self.service, options=opts)
        self.driver.set_page_load_timeout(20)
        self.driver.set_script_timeout(20)
        return self.driver.capabilities.get("browserVersion", "")

    # -- the steps --

    def test_401(self):
        for path in ("/", "/v1/pods?all=1", "/v1/events"):
            for tok in (None, "wrong" + self.token[:4]):
                status, body = self.http(path, token=tok)
                check(status == 401, f"GET {path} with token {tok!r}: {status}, wanted 401")
                check(isinstance(body, dict) and isinstance(body.get("error", {}).get("code"), str)
                      and isinstance(body["error"].get("message"), str),
                      f"GET {path}: a JSON error body: {body!r}")
        status, _ = self.http(f"/?token=wrong{self.token[:4]}", token=None)
        check(status == 401, f"GET /?token=wrong: {status}, wanted 401")
        status, body = self.http(f"/?token={self.token}", token=None)
        check(status == 200 and isinstance(body, str) and "<title>podvisor</title>" in body,
              f"GET /?token=TOKEN: {status}, the console page")
        status, body = self.http("/v1/pods?all=1")
        check(status == 200 and isinstance(body, list), f"GET /v1/pods with a bearer: {status}")

    def url(self):
        return f"http://127.0.0.1:{self.port}/?token={self.token}"

    def flat_pods(self):
        status, trees = self.http("v1/pods?all=1")
        check(status == 200, f"GET /v1/pods?all=1: {status}")
        out = []

        def walk(lst, depth):
            for p in lst:
                out.append((p, depth))
                walk([k for k in p.get("children", []) if isinstance(k, dict)], depth + 1)
        walk(trees, 0)
        return out

    def test_render(self):
        self.driver.get(self.url())
        flat = self.flat_pods()
        check(len(flat) == len(self.ids), f"{len(flat)} pods listed, made {len(self.ids)}")
        until("every pod has a row", lambda: self.js(
            "return document.querySelectorAll('#rows tr[data-pod-id]').length") == len(flat))
        until("the event stream is live",
              lambda: self.js("return document.getElementById('conn').textContent") == "live")
        depth_of = {}
        for p, depth in flat:
            depth_of[p["name"]] = depth
            r = self.row_info(p["id"])
            check(r is not None, f"a row for {p['name']}")
            check(r["name"] == p["name"], f"row {p['id']} named {r['name']!r}, wanted {p['name']!r}")
            check(r["depth"] == str(depth), f"{p['name']} at depth {r['depth']}, wanted {depth}")
            check(r["chip"] == p["state"], f"{p['name']}'s chip reads {r['chip']!r}, wanted {p['state']}")
            check(f"st-{p['state']}" in r["chipClass"].split(),
                  f"{p['name']}'s chip class {r['chipClass']!r} has no st-{p['state']}")
            fam = family(r["bg"], r["fg"])
            check(fam == EXPECTED_FAMILY[p["state"]],
                  f"{p['name']} ({p['state']}): chip colours {r['bg']} on {r['fg']} are "
                  f"{fam}, wanted {EXPECTED_FAMILY[p['state']]}")
            check(r["cmd"].strip() != "", f"{p['name']} shows its command")
            live = p["state"] not in TERMINAL
            check((r["button"] is not None) == live,
                  f"{p['name']} ({p['state']}): Stop button {'missing' if live else 'present'}")
            if live:
                check(r["button"] == {"disabled": False, "text": "Stop"},
                      f"{p['name']}'s button: {r['button']}")
        check(depth_of == {"agent": 0, "worker": 1, "helper": 2, "ticker": 1, "ok": 1, "bad": 1,
                           "stubborn": 0, "quitter": 0, "hard": 0, "nap": 0},
              f"the tree: {depth_of}")
        # The outcomes say how each ended.
        st = {n: self.row_info(self.ids[n])["status"] for n in ("ok", "bad", "hard", "quitter")}
        check("exit 0" in st["ok"], f"ok's status: {st['ok']!r}")
        check("exit 3" in st["bad"], f"bad's status: {st['bad']!r}")
        check("SIGKILL" in st["hard"] and "reason: user" in st["hard"], f"hard's status: {st['hard']!r}")
        check("reason: user" in st["quitter"], f"quitter's status: {st['quitter']!r}")
        summary = self.js("return document.getElementById('summary').textContent")
        check(summary.startswith("6 live"), f"the summary: {summary!r}")
        # A table to assistive technology, however it is laid out.
        roles = {
            "the table": self.driver.find_element(By.ID, "pods").aria_role,
            "a row": self.driver.find_element(By.CSS_SELECTOR, "#rows tr").aria_role,
            "a name": self.driver.find_element(By.CSS_SELECTOR, "#rows tr .c-name").aria_role,
            "a state": self.driver.find_element(By.CSS_SELECTOR, "#rows tr .c-state").aria_role,
            "a heading": self.driver.find_element(By.CSS_SELECTOR, "#pods thead th").aria_role,
        }
        check(roles == {"the table": "table", "a row": "row", "a name": "rowheader",
                        "a state": "cell", "a heading": "columnheader"}, f"computed roles: {roles}")
        # "Show ended pods" off hides the ended pods (none has live children).
        box = self.driver.find_element(By.ID, "show-ended")
        box.click()
        try:
            for p, _depth in flat:
                tr = self.driver.find_element(By.CSS_SELECTOR, f'#rows tr[data-pod-id="{p["id"]}"]')
                live = p["state"] not in TERMINAL
                check(tr.is_displayed() == live, f"with ended pods hidden, {p['name']} "
                      f"({p['state']}) is {'hidden' if live else 'shown'}")
        finally:
            box.click()
        check(all(self.driver.find_element(By.CSS_SELECTOR, f'#rows tr[data-pod-id="{p["id"]}"]')
                  .is_displayed() for p, _ in flat), "every pod shows again")
        # The same five families side by side are told apart.
        fams = {}
        for s, n in (("stopped", "quitter"), ("failed", "bad"), ("killed", "hard"),
                     ("succeeded", "ok"), ("paused", "nap")):
            r = self.row_info(self.ids[n])
            fams[s] = family(r["bg"], r["fg"])
        check(len(set(fams.values())) == 5, f"five distinct chip families: {fams}")
        return ", ".join(f"{s} {f}" for s, f in fams.items())

    def test_long_name(self):
        """A child's name too long for its column shrinks to an ellipsis of
        its own, its id still shown; it used to vanish whole (a button is
        one box to the cell's text-overflow), leaving only "…"."""
        name = "a-helper-whose-name-is-far-too-long-for-the-pod-column"
        pid = self.client.spawn(["sleep", "600"], name=name, parent="helper")
        until("the long name's row", lambda: self.row_info(pid) is not None, 10)
        geo = self.js("""
            var tr = document.querySelector('#rows tr[data-pod-id="' + arguments[0] + '"]');
            var cell = tr.querySelector('.c-name').getBoundingClientRect();
            var b = tr.querySelector('button.name'), id = tr.querySelector('.id');
            var br = b.getBoundingClientRect(), ir = id.getBoundingClientRect();
            return {shown: br.width, full: b.scrollWidth, title: b.title,
                    id: id.textContent, idLeft: ir.left, idRight: ir.right,
                    cellRight: cell.right, nameRight: br.right};
            """, pid)
        self.client.stop(pid, timeout=10)
        check(geo["shown"] >= 40, f"the long name shows {geo['shown']:.0f} px of itself")
        check(geo["full"] > geo["shown"], f"it is cut ({geo['full']} px in {geo['shown']:.0f})")
        check(geo["id"] == f"#{pid}" and geo["idLeft"] >= geo["nameRight"] - 1
              and geo["idRight"] <= geo["cellRight"] + 1,
              f"its id {geo['id']!r} is shown after it, inside the cell: {geo}")
        check(name in geo["title"], f"the full name is in its title: {geo['title']!r}")
        return f"{geo['shown']:.0f} of {geo['full']} px shown, then {geo['id']}"

    def test_removed(self):
        """A removed pod leaves the page at the next snapshot: /v1/events
        tells of no removal, so the console takes one once a minute and
        when its tab is shown again (a visibilitychange event here).  It
        used to keep the row until a reload."""
        pid = self.client.spawn(["true"], name="short-lived", parent="helper")
        self.client.wait(pid)
        until("the short-lived pod's row says succeeded",
              lambda: (self.row_info(pid) or {}).get("chip") == "succeeded", 10)
        self.client.rm(pid)
        self.js("document.dispatchEvent(new Event('visibilitychange'))")
        until("its row is gone", lambda: self.row_info(pid) is None, 10)
        check(self.row_info(self.ids["helper"]) is not None, "its parent's row stays")
        return f"pod {pid} removed, its row gone"

    def test_stop(self):
        sid = self.ids["stubborn"]
        # Record every change of the row's button and chip, with its time.
        self.js("""
            var tr = document.querySelector('#rows tr[data-pod-id="' + arguments[0] + '"]');
            var rec = window.__stopRec = [];
            function snap() {
              var b = tr.querySelector('.c-act button.stop');
              var s = [b ? b.disabled : null, b ? b.querySelector('.bt').textContent : null,
                       tr.querySelector('.chip').textContent];
              var last = rec[rec.length - 1];
              if (!last || last[1] !== s[0] || last[2] !== s[1] || last[3] !== s[2])
                rec.push([performance.now()].concat(s));
            }
            snap();
            window.__stopObs = new MutationObserver(snap);
            window.__stopObs.observe(tr, {subtree: true, childList: true, characterData: true,
                                          attributes: true});
            """, sid)
        btn = self.driver.find_element(By.CSS_SELECTOR, f'#rows tr[data-pod-id="{sid}"] button.stop')
        check(btn.text.startswith("Stop"), f"the button reads {btn.text!r}")
        t_click = time.time()
        btn.click()
        r = until("the button is disabled and reads Stopping…", lambda: (lambda r: r if (
            r["button"] and r["button"]["disabled"] and r["button"]["text"].startswith("Stopping…"))
            else None)(self.row_info(sid)), 3)
        # The countdown to SIGTERM, against the pod's next_stage_at.
        m = until("the button counts down to SIGTERM", lambda: STOPPING_RE.match(
            (self.row_info(sid)["button"] or {}).get("text") or ""), 3)
        check(m.group(1) == "SIGTERM", f"the first rung shown is {m.group(1)}")
        shown, seen_at = int(m.group(2)), time.time()
        p = self.pod("stubborn")
        check(p["state"] == "stopping", f"stubborn is {p['state']} after the click")
        check(p.get("stop_requested_at"), "the daemon has the stop request")
        check(p.get("next_stage_at"), "a stopping pod has next_stage_at")
        at = parse_time(p["next_stage_at"])
        check(2 <= at - t_click <= 4.5, f"next_stage_at {p['next_stage_at']} is "
              f"{at - t_click:.1f} s after the click, wanted the 3 s cancel grace")
        want = math.ceil(at - seen_at)
        check(abs(shown - want) <= 1, f"the button shows {shown} s, next_stage_at says {want} s")
        self.shot("console-stopping.png")
        m2 = until(f"the countdown goes below {shown} s", lambda: (lambda m: m if m and (
            m.group(1) != "SIGTERM" or int(m.group(2)) < shown) else None)(STOPPING_RE.match(
                (self.row_info(sid)["button"] or {}).get("text") or "")), 3)
        check(m2.group(1) == "SIGTERM", f"the countdown went from {shown} s to {m2.group(0)!r}")
        until("the chip reads terminated and the button is gone", lambda: (lambda r: r["chip"] ==
              "terminated" and r["button"] is None)(self.row_info(sid)), 10)
        r = self.row_info(sid)
        check("st-terminated" in r["chipClass"].split(), f"chip class {r['chipClass']!r}")
        check(family(r["bg"], r["fg"]) == "amber", f"terminated chip {r['bg']} on {r['fg']}")
        check("SIGTERM" in r["status"] and "reason: user" in r["status"], f"status {r['status']!r}")
        p = self.pod("stubborn")
        check(p["state"] == "terminated" and p["reason"] == "user",
              f"the daemon says {p['state']}, reason {p['reason']}")
        # The whole sequence: Stop, then only disabled Stopping… with counts
        # that never go up within a rung, then no button.
        rec = self.js("window.__stopObs.disconnect(); return window.__stopRec;")
        texts = [x[2] for x in rec]
        check(rec[0][1] is False and rec[0][2] == "Stop", f"the button before the click: {rec[0]}")
        after = rec[1:]
        gone = [i for i, x in enumerate(after) if x[1] is None]
        check(gone, f"the button never went: {texts}")
        for x in after[:gone[0]]:
            check(x[1] is True and x[2].startswith("Stopping…"), f"after the click: {x}")
        for x in after[gone[0]:]:
            check(x[1] is None, f"the button came back: {x}")
        counts = []
        for x in after[:gone[0]]:
            mm = STOPPING_RE.match(x[2])
            if mm:
                counts.append((mm.group(1), int(mm.group(2))))
        sigterm = [n for rung, n in counts if rung == "SIGTERM"]
        check(len(set(sigterm)) >= 2, f"the SIGTERM countdown showed {sigterm}")
        check(sigterm == sorted(sigterm, reverse=True), f"the countdown went up: {sigterm}")
        seq = []
        for c in counts:
            if not seq or seq[-1] != c:
                seq.append(c)
        return "; ".join(f"{r} in {n} s" for r, n in seq) + " -> terminated"

    def test_log(self):
        tid = self.ids["ticker"]
        self.driver.find_element(By.CSS_SELECTOR, f'#rows tr[data-pod-id="{tid}"] button.name').click()
        until("the log pane follows ticker", lambda: self.js(
            "return document.getElementById('log-state').textContent") == "following")
        head = self.js("return document.getElementById('log-h-pod').textContent")
        check(head == f"ticker #{tid}", f"the log pane's heading: {head!r}")
        check(self.js(f"return document.querySelector('#rows tr[data-pod-id=\"{tid}\"]')"
                      ".classList.contains('selected')"), "ticker's row is selected")

        def last_tick():
            return self.js("""
                var ls = document.querySelectorAll('#log-lines .l.out'), last = ls[ls.length - 1];
                var m = last && /^tick (\\d+)$/.exec(last.textContent);
                return m ? +m[1] : 0;""")
        first = until("ticks show in the log pane", last_tick, 5)

        def daemon_tick():
            status, entries = self.http(f"v1/pods/{tid}/logs?tail=5")
            check(status == 200, f"GET logs: {status}")
            ticks = [int(m.group(1)) for e in entries if e["kind"] == "stdout"
                     for m in re.finditer(r"tick (\d+)", e["data"])]
            return max(ticks) if ticks else 0
        # Live: the page catches up with what the daemon has now, and keeps
        # going (a line every 100 ms).
        t0 = time.monotonic()
        target = daemon_tick()
        until(f"the page shows tick {target}, the daemon's latest", lambda: last_tick() >= target, 3)
        lag = time.monotonic() - t0
        until(f"the page shows tick {target + 10}", lambda: last_tick() >= target + 10, 5)
        # No line lost or doubled, in order.
        ticks = self.js("""
            return Array.prototype.map.call(document.querySelectorAll('#log-lines .l.out'),
                function (d) { return d.textContent; });""")
        nums = [int(t.split()[1]) for t in ticks if re.fullmatch(r"tick \d+", t)]
        check(len(nums) == len(ticks), f"lines that are not ticks: {[t for t in ticks if not re.fullmatch(r'tick [0-9]+', t)][:3]}")
        check(nums == list(range(1, len(nums) + 1)), f"the ticks are not 1..{len(nums)} in order")
        at_end = self.js("var l = document.getElementById('log-lines');"
                         "return l.scrollTop + l.clientHeight >= l.scrollHeight - 8;")
        check(at_end, "the log pane stays scrolled to its newest line")
        return f"from tick {first} to {nums[-1]}; caught up with the daemon in {lag * 1000:.0f} ms"

    def test_screenshot(self):
        until("the page has settled", lambda: self.js(
            "return document.getElementById('conn').textContent") == "live")
        self.js("document.activeElement && document.activeElement.blur()")
        path = self.shot("console.png")
        check(os.path.getsize(path) > 10000, f"{path} is {os.path.getsize(path)} bytes")
        errs = self.browser_errors()
        check(not errs, f"script errors: {errs}")
        return path

    def test_load(self):
        c = self.client
        t0 = time.monotonic()
        herd = c.spawn(["sleep", "600"], name="herd")
        for _ in range(HERD):
            c.spawn(["sleep", "600"], parent=herd)
        spawn_s = time.monotonic() - t0
        total = len(self.flat_pods())
        check(total == len(self.ids) + 1 + HERD, f"{total} pods listed")
        # The first full render of a fresh page, timed in the page from the
        # start of the navigation (performance.now() is 0 there) until the
        # last row is in the DOM and laid out, and until the next frame.
        probe = self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": """
            (function () {
              var want = %d;
              window.__render = null;
              var obs = new MutationObserver(function () {
                var rows = document.getElementById('rows');
                if (!rows || rows.childElementCount < want) return;
                void document.body.offsetHeight;           /* layout, now */
                var t = performance.now();
                obs.disconnect();
                requestAnimationFrame(function () {
                  setTimeout(function () {
                    var res = performance.getEntriesByType('resource').filter(function (e) {
                      return /\\/v1\\/pods\\?/.test(e.name); });
                    window.__render = {dom: t, frame: performance.now(),
                      podsStart: res.length ? res[0].startTime : null,
                      podsEnd: res.length ? res[0].responseEnd : null,
                      podsBytes: res.length ? res[0].encodedBodySize || res[0].transferSize : null};
                  }, 0);
                });
              });
              obs.observe(document, {childList: true, subtree: true});
            })();""" % total})
        try:
            self.driver.get(self.url() + "&view=load")
            r = until("the 1,000 rows render", lambda: self.js("return window.__render"), 10)
        finally:
            self.driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument",
                                        {"identifier": probe["identifier"]})
        n = self.js("return document.querySelectorAll('#rows tr[data-pod-id]').length")
        check(n == total, f"{n} rows, wanted {total}")
        check(r["frame"] < RENDER_LIMIT_MS,
              f"the first full render took {r['frame']:.0f} ms from navigation, over {RENDER_LIMIT_MS} ms")
        until("the event stream is live",
              lambda: self.js("return document.getElementById('conn').textContent") == "live")
        kid = self.row_info(herd + HERD)
        check(kid and kid["depth"] == "1" and kid["chip"] == "running",
              f"the last herd pod's row: {kid}")
        self.shot("console-1000.png")
        # A row far off screen renders once scrolled to, as tall as the first.
        far = self.driver.execute_async_script("""
            var done = arguments[arguments.length - 1];
            var tr = document.querySelector('#rows tr[data-pod-id="' + arguments[0] + '"]');
            tr.scrollIntoView({block: 'center'});
            requestAnimationFrame(function () { setTimeout(function () {
              var r = tr.getBoundingClientRect(), chip = tr.querySelector('.chip').getBoundingClientRect();
              var first = document.querySelector('#rows tr').getBoundingClientRect();
              done({top: r.top, bottom: r.bottom, h: r.height, firstH: first.height,
                    chipW: chip.width, vh: innerHeight,
                    hit: document.elementFromPoint(chip.left + chip.width / 2,
                                                   chip.top + chip.height / 2) === tr.querySelector('.chip')});
              window.scrollTo(0, 0);
            }, 0); });""", herd + HERD - 10)
        check(0 <= far["top"] and far["bottom"] <= far["vh"] and abs(far["h"] - far["firstH"]) < 1.5
              and far["chipW"] > 40 and far["hit"], f"the row scrolled to: {far}")
        # Responsive: a click on a name selects it within a frame or two,
        # and the event loop stays free while all 1,001 stop (2,000 events).
        self.js("""
            var lag = window.__lag = {max: 0, task: 0, stop: false};
            lag.obs = new PerformanceObserver(function (list) {
              list.getEntries().forEach(function (e) { lag.task = Math.max(lag.task, e.duration); });
            });
            lag.obs.observe({entryTypes: ['longtask']});
            var last = performance.now();
            (function tick() {
              var t = performance.now();
              lag.max = Math.max(lag.max, t - last);
              last = t;
              if (!lag.stop) setTimeout(tick, 10);
            })();""")
        click_ms = self.driver.execute_async_script("""
            var done = arguments[arguments.length - 1];
            var tr = document.querySelector('#rows tr[data-pod-id="' + arguments[0] + '"]');
            var t0 = performance.now();
            tr.querySelector('button.name').click();
            (function wait() {
              if (tr.classList.contains('selected')) done(performance.now() - t0);
              else requestAnimationFrame(wait);
            })();""", herd + HERD // 2)
        check(click_ms < CLICK_LIMIT_MS, f"selecting a pod took {click_ms:.0f} ms")
        t1 = time.monotonic()
        c.stop("herd", wait=False)
        c.wait("herd", tree=True, timeout=30)
        t2 = time.monotonic()
        until(f"every herd row reads stopped, within {CATCH_UP_S:g} s of the daemon", lambda: self.js("""
            var first = arguments[0], n = 0;
            document.querySelectorAll('#rows tr[data-pod-id]').forEach(function (tr) {
              if (+tr.dataset.podId >= first && tr.dataset.state === 'stopped') n++;
            });
            return n;""", herd) == HERD + 1, CATCH_UP_S)
        stop_s, behind_s = time.monotonic() - t1, time.monotonic() - t2
        lag = self.js("var l = window.__lag; l.stop = true; l.obs.disconnect();"
                      "return {max: l.max, task: l.task};")
        check(lag["task"] < TASK_LIMIT_MS, f"the page ran a task of {lag['task']:.0f} ms "
              f"while the pods stopped (limit {TASK_LIMIT_MS} ms)")
        check(lag["max"] < LAG_LIMIT_MS, f"a timer of the page's ran {lag['max']:.0f} ms late "
              f"while the pods stopped (limit {LAG_LIMIT_MS} ms)")
        s = self.pod("herd")
        check(s["state"] == "stopped", f"herd is {s['state']}")
        summary = self.js("return document.getElementById('summary').textContent")
        stopped = sum(1 for p, _ in self.flat_pods() if p["state"] == "stopped")
        check(f"{stopped} stopped" in summary, f"the summary: {summary!r}, wanted {stopped} stopped")
        errs = self.browser_errors()
        check(not errs, f"script errors: {errs}")
        return (f"spawned {HERD + 1} in {spawn_s:.1f} s; render {r['frame']:.0f} ms from navigation "
                f"(rows in the DOM at {r['dom']:.0f} ms; /v1/pods {r['podsStart']:.0f}-"
                f"{r['podsEnd']:.0f} ms, {r['podsBytes']} bytes); select {click_ms:.0f} ms; "
                f"all stopped on the page {stop_s:.1f} s after the stop, {behind_s:.1f} s after "
                f"the daemon; longest task {lag['task']:.0f} ms, a timer late by up to "
                f"{lag['max']:.0f} ms")

    # -- teardown --

    def our_procs(self, needle):
        """Live processes whose command line (needle bytes) or environment
        names this test's files."""
        out = []
        for d in os.listdir("/proc"):
            if not d.isdigit() or int(d) == os.getpid():
                continue
            try:
                with open(f"/proc/{d}/stat") as f:
                    if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                        continue
                with open(f"/proc/{d}/cmdline", "rb") as f:
                    cmd = f.read()
                with open(f"/proc/{d}/environ", "rb") as f:
                    env = f.read()
            except OSError:
                continue
            if needle.encode() in cmd or needle.encode() in env:
                out.append((int(d), cmd.replace(b"\0", b" ").decode("utf-8", "replace")[:100]))
        return out

    @staticmethod
    def descendants(root):
        """The live descendants of process root, as {pid: start time}."""
        kids, start = {}, {}
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open(f"/proc/{d}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] == "Z":
                continue
            kids.setdefault(int(fields[1]), []).append(int(d))
            start[int(d)] = fields[19]
        out, todo = {}, [root]
        while todo:
            for k in kids.get(todo.pop(), []):
                out[k] = start[k]
                todo.append(k)
        return out

    @staticmethod
    def alive(procs):
        """Those of procs ({pid: start time}) still running (not zombies)."""
        left = []
        for pid, st in procs.items():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[19] == st and fields[0] != "Z":
                left.append(pid)
        return left

    def stop_browser(self):
        if self.driver is None:
            return None
        proc = self.service.process if self.service else None
        # chromedriver's children: chromium and all it started.
        tree = self.descendants(proc.pid) if proc is not None else {}
        try:
            self.driver.quit()
        finally:
            self.driver = None
        if proc is not None:
            until("chromedriver has exited", lambda: proc.poll() is not None, 10)
        check(len(tree) >= 2, f"chromium's processes were not found under chromedriver: {tree}")

        def gone():
            return not self.alive(tree) and not self.our_procs(self.profile)
        try:
            until("no chromium process is left", gone, 10)
        except Failure:
            left = set(self.alive(tree)) | {pid for pid, _ in self.our_procs(self.profile)}
            for pid in left:
                os.kill(pid, signal.SIGKILL)
            raise Failure(f"chromium processes left after quit: {sorted(left)}")
        return f"{len(tree)} chromium processes ended"

    def stop_daemon(self):
        if self.daemon is None:
            return None
        if self.client:
            self.client.close()
        self.daemon.send_signal(signal.SIGTERM)
        try:
            rc = self.daemon.wait(30)
        except subprocess.TimeoutExpired:
            self.daemon.kill()
            self.daemon.wait()
            raise Failure("podvisord did not exit within 30 s of SIGTERM")
        finally:
            self.daemon = None
        check(rc == 0, f"podvisord exited with status {rc}: " + self.tail_log())
        left = self.our_procs("PODVISOR_SOCKET=" + self.sock)
        for pid, _ in left:
            os.kill(pid, signal.SIGKILL)
        check(not left, f"pod processes left after the daemon exited: {left}")
        return f"exit {rc}"

    def tail_log(self):
        try:
            with open(self.daemon_log, errors="replace") as f:
                return "\n" + "".join(f.readlines()[-20:])
        except OSError:
            return ""

    def chromium_controls(self):
        if not self.step("pods with the pod API open show up live", self.make_api_pods):
            return
        self.step("Pause and Send… only where the pod API is open, Resume on paused pods",
                  self.test_buttons)
        self.step("Pause: Pausing…, then paused chips and Resume; Resume", self.test_pause_resume)
        self.step("Send…: a modal dialog, the message reaches the workload", self.test_send)
        self.step("subtrees fold from the keyboard, and stay folded through updates",
                  self.test_collapse)
        self.step("Tab reaches every control, with a focus ring and a name", self.test_keyboard)
        self.step("1280x800 and 390 px wide: no sideways scroll, all inside",
                  self.test_widths)
        self.step("a restarting pod counts down to its next run", self.test_restart_countdown)

    def firefox(self):
        if not self.step("Firefox starts (Marionette)", self.start_firefox):
            return
        if self.step("Firefox: the tree renders, states and chips", self.test_firefox_render):
            self.step("Firefox: Stop, Stopping… with a countdown, then terminated",
                      self.test_firefox_stop)
            self.step("Firefox: a subtree folds from the keyboard", self.test_firefox_fold)
            self.step("Firefox: 390 px and 1280x800, screenshots", self.test_firefox_widths)
        self.step("Firefox and its processes are gone", self.stop_firefox)

    def run(self):
        t0 = time.monotonic()
        try:
            ok = self.step("podvisord starts", self.start_daemon)
            ok = ok and self.step("a pod tree", self.make_tree)
            ok = ok and self.step("chromium starts", self.start_browser)
            if ok:
                self.step("a request without the right token gets 401", self.test_401)
                if self.step("the console renders the tree, states and chips", self.test_render):
                    self.step("Stop: disabled, Stopping… with a countdown, then terminated",
                              self.test_stop)
                    self.step("the log pane follows a pod live", self.test_log)
                    self.step("screenshot", self.test_screenshot)
                    self.chromium_controls()
                    self.firefox()
                self.step(f"{HERD} more pods: render under {RENDER_LIMIT_MS} ms, responsive",
                          self.test_load)
                # Last: its pod would change the counts the steps above check.
                self.step("a long name shrinks to an ellipsis, its id kept",
                          self.test_long_name)
                self.step("a removed pod's row goes at the next snapshot",
                          self.test_removed)
        except KeyboardInterrupt:
            self.failures.append("interrupted")
            print("FAIL: interrupted (time limit)", flush=True)
        finally:
            signal.alarm(0)
            if self.ff_proc is not None:
                self.step("Firefox and its processes are gone", self.stop_firefox)
            self.step("chromium and chromedriver are gone", self.stop_browser)
            self.step("podvisord exits 0 on SIGTERM, no pod left", self.stop_daemon)
            if self.failures or os.environ.get("KEEP"):
                print(f"# kept {self.tmp} (daemon.log, chromedriver.log)")
            else:
                shutil.rmtree(self.tmp, ignore_errors=True)
        dt = time.monotonic() - t0
        if self.failures:
            print(f"FAIL: {len(self.failures)} step(s) failed in {dt:.1f} s: "
                  + "; ".join(self.failures))
            return 1
        print(f"# screenshots in {OUT_DIR}")
        print(f"PASS: the console's browser test, in {dt:.1f} s")
        return 0


def main():
    def on_alarm(_sig, _frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, on_alarm)
    signal.alarm(int(os.environ.get("TIME_LIMIT", "240")))
    return ConsoleTest().run()


if __name__ == "__main__":
    sys.exit(main())
