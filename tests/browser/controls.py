"""The console's controls beyond Stop, in Chromium (a part of console.py's
ConsoleTest, which mixes ControlSteps in and gives it self.driver,
self.client, self.ids, self.js, self.pod, self.http and self.shot):

  - pods whose workload opened the pod API (inbox.py) show Pause and
    Send…; others only Stop, and a paused one Resume; ended ones none;
  - Pause (from the keyboard): the button is disabled (aria-disabled, so
    it keeps the focus) and reads "Pausing…", then the pod and its child
    are paused (blue chips) and it reads Resume; Resume brings them back,
    and resumes a pod paused without the API, which then has no Pause;
  - Send…: a modal dialog (focus in the message, Escape closes it and
    focus returns), an empty message is not sent, a message with a
    priority, sent with Ctrl+Enter, reaches the workload (which prints it) and the log pane
    shows it, and a send to a pod that ended meanwhile says why it failed;
  - folding a subtree with the keyboard (Enter, Space), aria-expanded, a
    count of what is folded, kept through live updates, nested folds and
    a reload;
  - Tab reaches every control in order, each with a visible focus ring and
    a name for screen readers; Stop from the keyboard leaves the focus on
    the pod's row (its name), not at the top of the page;
  - at 1280x800 and at a phone's 390 px the page does not scroll sideways
    and every control is inside the window (screenshots of both);
  - a restarting pod counts down to its next run as podctl status does
    ("in 29s, run 2 of 4"), and Stop ends it stopped at once.
"""

import re

import os
import sys

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.select import Select

from common import HERE, LAYOUT_JS, SRCDIR, check, check_layout, family, until

INBOX = [sys.executable, os.path.join(HERE, "inbox.py")]
INBOX_ENV = {"PYTHONPATH": os.path.join(SRCDIR, "python")}

# What a row's action cell shows: each visible button's class, text,
# state and accessible name (the sr-only words, or aria-label).
ACTIONS_JS = """
    var tr = document.querySelector('#rows tr[data-pod-id="' + arguments[0] + '"]');
    if (!tr) return null;
    return Array.prototype.filter.call(tr.querySelectorAll('.c-act button'), function (b) {
      return !b.hidden && b.getClientRects().length > 0;
    }).map(function (b) {
      return {cls: b.className, text: b.querySelector('.bt').textContent,
              disabled: b.disabled || b.getAttribute('aria-disabled') === 'true',
              name: b.getAttribute('aria-label') || b.textContent};
    });"""


class ControlSteps:
    """Steps over pause/resume, send, folding, the keyboard and widths."""

    def row(self, pod_id):
        return self.driver.find_element(By.CSS_SELECTOR, f'#rows tr[data-pod-id="{pod_id}"]')

    def button(self, pod_id, cls):
        return self.row(pod_id).find_element(By.CSS_SELECTOR, f".c-act button.{cls}")

    def actions(self, pod_id):
        return self.js(ACTIONS_JS, pod_id)

    def chip(self, pod_id):
        return self.js("""
            var c = document.querySelector('#rows tr[data-pod-id="' + arguments[0] + '"] .chip');
            if (!c) return null;
            var cs = getComputedStyle(c);
            return {text: c.textContent, bg: cs.backgroundColor, fg: cs.color};""", pod_id)

    def log_has(self, name, text):
        status, entries = self.http(f"v1/pods/{name}/logs")
        check(status == 200, f"GET /v1/pods/{name}/logs: {status}")
        return any(e["kind"] == "stdout" and text in e["data"] for e in entries)

    # -- the fixture --

    def make_api_pods(self):
        """inbox, and its child inbox-kid: both open the pod API."""
        c, ids = self.client, self.ids
        ids["inbox"] = c.spawn(INBOX, name="inbox", env=INBOX_ENV, cancel_grace=5)
        ids["inbox-kid"] = c.spawn(INBOX, name="inbox-kid", parent="inbox", env=INBOX_ENV,
                                   cancel_grace=5)
        until("both have opened the pod API", lambda: all(
            self.pod(n)["api"] and self.log_has(n, "attached") for n in ("inbox", "inbox-kid")),
            15)
        # The page learns of them, and of their API, from the event stream.
        until("the page shows inbox with Pause and Send…", lambda: [
            (a["cls"], a["text"]) for a in self.actions(ids["inbox"]) or []] == [
            ("pause", "Pause"), ("send", "Send…"), ("stop", "Stop")], 10)
        return f"inbox #{ids['inbox']}, inbox-kid #{ids['inbox-kid']}"

    # -- the steps --

    def test_restart_countdown(self):
        c = self.client
        rid = c.spawn(["sh", "-c", "exit 1"], name="flaky", restart="on-failure",
                      max_restarts=3, restart_delay=30)
        self.ids["flaky"] = rid

        def detail():
            r = self.row_info(rid)
            return r and r["chip"] == "restarting" and \
                re.search(r"in (\d+)s, run 2 of 4", r["status"])
        m = until("flaky reads restarting, in Ns, run 2 of 4", detail, 10)
        first = int(m.group(1))
        check(25 <= first <= 30, f"the first countdown: {first}s, wanted 25-30")
        m = until("the countdown goes down", lambda: (lambda m: m and
                  int(m.group(1)) < first and m)(detail()), 5)
        self.button(rid, "stop").click()
        until("flaky is stopped, its countdown gone", lambda: (lambda r: r and
              r["chip"] == "stopped" and "run 2" not in r["status"])(self.row_info(rid)), 10)
        return f"in {first}s, then in {m.group(1)}s; stopped"

    def test_buttons(self):
        ids = self.ids
        want = {
            "inbox": [("pause", "Pause", "Pause inbox"), ("send", "Send…", "Send a message to inbox"),
                      ("stop", "Stop", "Stop inbox")],
            "agent": [("stop", "Stop", "Stop agent")],
            "nap": [("pause", "Resume", "Resume nap"), ("stop", "Stop", "Stop nap")],
            "ok": [], "quitter": [], "stubborn": [],
        }
        for name, expect in want.items():
            got = [(a["cls"], a["text"], a["name"]) for a in self.actions(ids[name])]
            check(got == expect, f"{name}'s buttons: {got}, wanted {expect}")
            check(not any(a["disabled"] for a in self.actions(ids[name])),
                  f"{name} has a disabled button")
        return "inbox: Pause, Send…, Stop; agent: Stop; nap: Resume, Stop; ended: none"

    def test_pause_resume(self):
        ids, iid, kid = self.ids, self.ids["inbox"], self.ids["inbox-kid"]
        self.js("""
            var tr = document.querySelector('#rows tr[data-pod-id="' + arguments[0] + '"]');
            var rec = window.__pauseRec = [];
            function snap() {
              var b = tr.querySelector('.c-act button.pause');
              var s = [b.querySelector('.bt').textContent,
                       b.getAttribute('aria-disabled') === 'true',
                       tr.querySelector('.chip').textContent];
              var last = rec[rec.length - 1];
              if (!last || last.join() !== s.join()) rec.push(s);
            }
            snap();
            window.__pauseObs = new MutationObserver(snap);
            window.__pauseObs.observe(tr, {subtree: true, childList: true, characterData: true,
                                           attributes: true});""", iid)
        self.button(iid, "pause").send_keys(Keys.ENTER)
        until("inbox and inbox-kid read paused, and inbox's button Resume", lambda: (
            self.chip(iid)["text"] == "paused" and self.chip(kid)["text"] == "paused" and
            [a["text"] for a in self.actions(iid)][:1] == ["Resume"]), 15)
        check(self.js("return document.activeElement.className") == "pause",
              "the keyboard's focus left the Pause button")
        for n in ("inbox", "inbox-kid"):
            p = self.pod(n)
            check(p["state"] == "paused" and p["paused_at"], f"the daemon has {n} {p['state']}")
            c = self.chip(ids[n])
            check(family(c["bg"], c["fg"]) == "blue", f"{n}'s paused chip: {c}")
        acts = {a["cls"]: a for a in self.actions(iid)}
        check(not acts["pause"]["disabled"] and "send" in acts and not acts["stop"]["disabled"],
              f"paused inbox's buttons: {acts}")
        rec = self.js("window.__pauseObs.disconnect(); return window.__pauseRec;")
        check(rec[0] == ["Pause", False, "running"], f"before the click: {rec[0]}")
        check(["Pausing…", True, "running"] in rec, f"no disabled Pausing… after the click: {rec}")
        done = rec.index(next(r for r in rec if r[2] == "paused"))
        check(all(r[:2] == ["Pausing…", True] for r in rec[1:done]),
              f"before the pod was paused the button read: {rec[1:done]}")
        self.button(iid, "pause").click()
        until("both run again, and inbox's button reads Pause", lambda: (
            self.chip(iid)["text"] == "running" and self.chip(kid)["text"] == "running" and
            [a["text"] for a in self.actions(iid)][:1] == ["Pause"]), 15)
        check(self.pod("inbox")["state"] == "running", "the daemon resumed inbox")
        # A pod paused without the API (podctl pause, SIGSTOP) resumes too,
        # and then has no Pause.
        nap = ids["nap"]
        self.button(nap, "pause").click()
        until("nap runs again, with only Stop", lambda: self.chip(nap)["text"] == "running" and
              [a["cls"] for a in self.actions(nap)] == ["stop"], 15)
        check(self.pod("nap")["state"] == "running", "the daemon resumed nap")
        return " -> ".join(dict.fromkeys(f"{r[0]}/{r[2]}" for r in rec))

    def dialog(self):
        return self.js("""
            var d = document.getElementById('send-dlg'), a = document.activeElement;
            return {open: d.open, pod: document.getElementById('send-pod').textContent,
                    err: document.getElementById('send-err').textContent,
                    focus: a ? (a.id || a.className) : null};""")

    def test_send(self):
        iid, kid = self.ids["inbox"], self.ids["inbox-kid"]
        self.button(iid, "send").click()
        d = until("the dialog opens with focus in the message", lambda: (
            lambda d: d if d["open"] and d["focus"] == "send-text" else None)(self.dialog()), 3)
        check(d["pod"] == f"inbox #{iid}", f"the dialog is for {d['pod']!r}")
        ActionChains(self.driver).send_keys(Keys.ESCAPE).perform()
        until("Escape closes it and focus is back on Send…", lambda: (
            lambda d: not d["open"] and d["focus"] == "send")(self.dialog()), 3)
        # An empty message is not sent: the dialog stays, and says so or
        # the browser does.
        self.button(iid, "send").click()
        until("the dialog opens again", lambda: self.dialog()["open"], 3)
        self.driver.find_element(By.ID, "send-ok").click()
        check(self.dialog()["open"], "an empty message closed the dialog")
        text = "hello from the console"
        self.driver.find_element(By.ID, "send-text").send_keys(text)
        Select(self.driver.find_element(By.ID, "send-prio")).select_by_value("high")
        self.shot("console-send.png")
        # In the message, Ctrl+Enter sends (Enter alone is a new line).
        self.driver.find_element(By.ID, "send-text").send_keys(Keys.CONTROL + Keys.ENTER)
        until("the dialog closes, focus back on Send…", lambda: (
            lambda d: not d["open"] and d["focus"] == "send")(self.dialog()), 5)
        until("the workload prints the message", lambda: self.log_has(
            "inbox", f"message high: {text}"), 10)
        status, entries = self.http("v1/pods/inbox/logs")
        got = [ln for e in entries if e["kind"] == "stdout"
               for ln in e["data"].splitlines() if ln.startswith("message ")]
        check(got == [f"message high: {text}"], f"the workload got {got}")
        announced = until("the page announces it", lambda: (lambda t: t if "sent to inbox" in t
                          else None)(self.js("return document.getElementById('announce').textContent")), 3)
        # The log pane of inbox shows the notify and the workload's line.
        self.row(iid).find_element(By.CSS_SELECTOR, "button.name").click()
        until("inbox's log pane shows the notify entry and the printed message", lambda: self.js("""
            var l = document.getElementById('log-lines'), want = 'message high: ' + arguments[0];
            var ev = Array.prototype.some.call(l.querySelectorAll('.ev .k'), function (k) {
              return k.textContent === 'notify'; });
            var out = Array.prototype.some.call(l.querySelectorAll('.l.out'), function (d) {
              return d.textContent === want; });
            return ev && out;""", text), 5)
        # A send to a pod that ended while the dialog was open.
        self.button(kid, "send").click()
        until("the dialog opens for inbox-kid", lambda: self.dialog()["pod"] == f"inbox-kid #{kid}"
              and self.dialog()["open"], 3)
        self.client.stop("inbox-kid", timeout=10)
        until("inbox-kid's row shows it stopped", lambda: self.chip(kid)["text"] == "stopped", 5)
        self.driver.find_element(By.ID, "send-text").send_keys("too late")
        self.driver.find_element(By.ID, "send-ok").click()
        d = until("the dialog says why it was not sent", lambda: (
            lambda d: d if d["err"] else None)(self.dialog()), 5)
        check(d["open"] and d["err"].startswith("Not sent: 409") and "stopped" in d["err"],
              f"the failed send: {d}")
        # The refused POST is in the browser's console log as a failed
        # resource; take it out, so that later steps see only their own.
        errs = [e for e in self.browser_errors()
                if not ("/messages" in e and "409" in e)]
        check(not errs, f"script errors: {errs}")
        self.driver.find_element(By.ID, "send-cancel").click()
        until("Cancel closes the dialog", lambda: not self.dialog()["open"], 3)
        return f"{announced!r}; to a stopped pod: {d['err']!r}"

    def twisty(self, name):
        return self.js("""
            var tr = document.querySelector('#rows tr[data-pod-id="' + arguments[0] + '"]');
            var t = tr.querySelector('button.twisty');
            return {shown: !!t && !t.hidden && t.getClientRects().length > 0,
                    expanded: t && t.getAttribute('aria-expanded'),
                    label: t && t.getAttribute('aria-label'),
                    folded: tr.querySelector('.folded').textContent};""", self.ids[name])

    def shown(self, *names):
        return [n for n in names if self.row(self.ids[n]).is_displayed()]

    def test_collapse(self):
        ids = self.ids
        kids = ("worker", "helper", "ticker", "ok", "bad")
        t = self.twisty("agent")
        check(t == {"shown": True, "expanded": "true", "label": "Children of agent", "folded": ""},
              f"agent's disclosure: {t}")
        check(not self.twisty("ok")["shown"], "a pod without children has a disclosure")
        tw = self.row(ids["agent"]).find_element(By.CSS_SELECTOR, "button.twisty")
        tw.send_keys(Keys.ENTER)
        until("Enter folds agent's subtree", lambda: self.twisty("agent")["expanded"] == "false"
              and not self.shown(*kids), 3)
        check(self.twisty("agent")["folded"] == "+5 folded", f"agent: {self.twisty('agent')}")
        check(self.shown("agent", "stubborn"), "agent or stubborn was folded away")
        # Live updates keep it folded: a new child, a child's end.
        ids["late"] = self.client.spawn(["sleep", "600"], name="late", parent="agent")
        self.client.stop("ticker", timeout=10)
        until("the page has the new child and ticker's end", lambda: self.js("""
            var r = document.querySelector('#rows tr[data-pod-id="' + arguments[0] + '"]');
            var t = document.querySelector('#rows tr[data-pod-id="' + arguments[1] + '"]');
            return r && t && t.dataset.state === 'stopped';""", ids["late"], ids["ticker"]), 5)
        check(self.twisty("agent")["expanded"] == "false", "a live update unfolded agent")
        check(not self.shown(*kids, "late"), f"shown while folded: {self.shown(*kids, 'late')}")
        check(self.twisty("agent")["folded"] == "+6 folded", f"agent: {self.twisty('agent')}")
        tw.send_keys(Keys.SPACE)
        until("Space unfolds it", lambda: self.twisty("agent")["expanded"] == "true"
              and self.shown(*kids, "late") == list(kids) + ["late"], 3)
        # A fold inside a fold is kept when the outer one opens again.
        self.row(ids["worker"]).find_element(By.CSS_SELECTOR, "button.twisty").send_keys(Keys.ENTER)
        until("worker folds", lambda: not self.shown("helper") and self.shown("worker"), 3)
        tw.send_keys(Keys.ENTER)
        until("agent folds", lambda: not self.shown("worker"), 3)
        tw.send_keys(Keys.ENTER)
        until("agent unfolds, worker stays folded", lambda: self.shown("worker", "helper") ==
              ["worker"], 3)
        self.row(ids["worker"]).find_element(By.CSS_SELECTOR, "button.twisty").click()
        until("worker unfolds", lambda: self.shown("helper") == ["helper"], 3)
        # A reload keeps a fold (the tab's sessionStorage).
        tw.send_keys(Keys.ENTER)
        until("agent folds", lambda: not self.shown("worker"), 3)
        self.driver.refresh()
        until("after a reload agent is still folded", lambda: self.js(
            "return document.querySelectorAll('#rows tr[data-pod-id]').length") > len(kids)
            and self.twisty("agent")["expanded"] == "false" and not self.shown(*kids), 10)
        until("the event stream is live again",
              lambda: self.js("return document.getElementById('conn').textContent") == "live")
        self.row(ids["agent"]).find_element(By.CSS_SELECTOR, "button.twisty").send_keys(Keys.SPACE)
        until("agent unfolds", lambda: self.shown(*kids) == list(kids), 3)
        return "Enter/Space, +N folded, kept through a spawn, an end, a reload; nested"

    def test_keyboard(self):
        # Every control a person can use, in document order.
        n = self.js("""
            var all = document.querySelectorAll(
              'button, input, select, textarea, a[href], [tabindex]');
            var i = 0;
            Array.prototype.forEach.call(all, function (el) {
              el.removeAttribute('data-kb');
              if (el.disabled || el.tabIndex < 0 || el.closest('dialog:not([open])') ||
                  !el.getClientRects().length) return;
              el.dataset.kb = i++;
            });
            var seen = window.__kb = [];
            window.__kbListen = function (ev) {
              var el = ev.target, cs = getComputedStyle(el);
              seen.push({kb: el.dataset.kb == null ? null : +el.dataset.kb,
                         what: el.id || el.className || el.tagName,
                         outline: cs.outlineStyle, width: parseFloat(cs.outlineWidth)});
            };
            document.addEventListener('focusin', window.__kbListen);
            if (document.activeElement) document.activeElement.blur();
            window.scrollTo(0, 0);
            return i;""")
        # Tab's starting point: a click on the heading, before every control.
        self.driver.find_element(By.CSS_SELECTOR, "header.top h1").click()
        rows = self.js("return document.querySelectorAll('#rows tr[data-pod-id]:not([hidden])').length")
        chain = ActionChains(self.driver)
        for _ in range(n):
            chain.send_keys(Keys.TAB)
        chain.perform()
        seen = self.js("document.removeEventListener('focusin', window.__kbListen);"
                       "return window.__kb;")
        check([s["kb"] for s in seen] == list(range(n)),
              f"Tab went through {[s['kb'] for s in seen]}, wanted 0..{n - 1}")
        rings = [s for s in seen if s["outline"] in ("none", "hidden") or s["width"] < 2]
        check(not rings, f"no visible focus ring on: {[s['what'] for s in rings][:5]}")
        # Each has a name for screen readers (the browser's own computation).
        nameless = []
        for el in self.driver.find_elements(By.CSS_SELECTOR, "[data-kb]"):
            if not (el.accessible_name or "").strip():
                nameless.append(el.get_attribute("outerHTML")[:80])
        check(not nameless, f"controls without an accessible name: {nameless}")
        kinds = {}
        for s in seen:
            kinds[s["what"].split()[0]] = kinds.get(s["what"].split()[0], 0) + 1
        check(kinds.get("name") == rows, f"{kinds.get('name')} pod names reached, {rows} rows")
        for k in ("show-ended", "show-events", "wrap", "log-lines", "twisty", "pause", "send",
                  "stop"):
            check(k in kinds, f"Tab never reached a {k}: {kinds}")
        # Stop from the keyboard: the button is disabled, then goes; the
        # focus stays on the row.
        lid = self.ids["late"]
        self.button(lid, "stop").send_keys(Keys.ENTER)
        focus = "return document.activeElement === document.querySelector(" \
            "'#rows tr[data-pod-id=\"' + arguments[0] + '\"] button.name');"
        until("Stop disabled, the focus on late's name", lambda: self.js(focus, lid) and
              (self.actions(lid) or [{}])[0].get("disabled", True), 3)
        until("late has ended and has no button", lambda: self.actions(lid) == [], 10)
        check(self.js(focus, lid), "the focus left late's row when it ended")
        return f"{n} tab stops, each with a focus ring and a name: " + ", ".join(
            f"{k} {v}" for k, v in sorted(kinds.items()))

    def layout(self):
        return self.js(LAYOUT_JS)

    def test_widths(self):
        out = []
        try:
            for w, h, name in ((1280, 800, "console-1280x800.png"), (390, 844, "console-phone.png")):
                self.driver.set_window_size(w, h)
                lay = until(f"the window is {w} px wide", lambda: (
                    lambda x: x if abs(x["w"] - w) <= 16 else None)(self.layout()), 5)
                check_layout(lay, w)
                self.js("document.activeElement && document.activeElement.blur()")
                self.shot(name)
                out.append(f"{lay['w']} px: {lay['scroll']} px wide")
        finally:
            self.driver.set_window_size(1280, 1000)
        return "; ".join(out)
