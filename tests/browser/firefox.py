"""The console in Firefox (Debian's firefox-esr, headless), driven through
its own Marionette protocol (marionette.py: Debian has no geckodriver):
a part of console.py's ConsoleTest, which mixes FirefoxSteps in and gives
it self.tmp, self.client, self.ids, self.pod, self.url, self.flat_pods and
self.trap_set.  Against the same podvisord as the Chromium steps:

  - the tree renders: a row per pod at its depth, chips reading each
    state in its colour family, Stop only on live pods;
  - a pod spawned now shows up live; Stop on it (it ignores its cancel):
    disabled, "Stopping… (SIGTERM in N s)" agreeing with next_stage_at,
    then the amber "terminated" chip and no button;
  - a subtree folds and unfolds from the keyboard (Enter, Space);
  - at 390 px (a 500 px window, Firefox's narrowest, zoomed to 128%) and
    at 1280x800 the page fits its window as in Chromium; screenshots at 1280x800 (firefox.png),
    of the countdown and at phone width;
  - Firefox and all its processes are gone at the end.
"""

import base64
import json
import math
import os
import signal
import subprocess
import time

from common import (EXPECTED_FAMILY, LAYOUT_JS, OUT_DIR, STOPPING_RE, TERMINAL, Failure,
                    check, check_layout, family, free_port, parse_time, until)
from marionette import Marionette

FIREFOX = os.environ.get("FIREFOX", "/usr/bin/firefox-esr")

# The profile: Marionette's port, and nothing fetched from the network
# (updates, telemetry, safe browsing, remote settings...): every request
# but to loopback goes to a proxy on a closed local port.
PREFS = {
    "network.proxy.type": 1,
    "network.proxy.http": "127.0.0.1", "network.proxy.http_port": 9,
    "network.proxy.ssl": "127.0.0.1", "network.proxy.ssl_port": 9,
    "network.proxy.allow_hijacking_localhost": False,
    "network.proxy.no_proxies_on": "127.0.0.1,localhost",
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "app.update.disabledForTesting": True,
    "browser.safebrowsing.update.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.page": 0,
    "browser.aboutwelcome.enabled": False,
    "layout.css.prefers-color-scheme.content-override": 1,    # light, as in Chromium
}

ROW_JS = """
    var tr = document.querySelector('#rows tr[data-pod-id="' + arguments[0] + '"]');
    if (!tr) return null;
    var chip = tr.querySelector('.chip'), cs = getComputedStyle(chip);
    var btn = tr.querySelector('.c-act button.stop'), tw = tr.querySelector('button.twisty');
    return {depth: tr.dataset.depth, shown: !tr.hidden, chip: chip.textContent,
            bg: cs.backgroundColor, fg: cs.color,
            stop: btn ? {disabled: btn.disabled, text: btn.querySelector('.bt').textContent} : null,
            expanded: tw && !tw.hidden ? tw.getAttribute('aria-expanded') : null};"""


class FirefoxSteps:
    """Steps of the console's core in Firefox."""

    ff = None
    ff_proc = None

    def ff_row(self, pod_id):
        return self.ff.js(ROW_JS, pod_id)

    def ff_shot(self, name):
        os.makedirs(OUT_DIR, exist_ok=True)
        path = os.path.join(OUT_DIR, name)
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.ff.screenshot()))
        return path

    def start_firefox(self):
        check(os.access(FIREFOX, os.X_OK), f"no {FIREFOX}: apt-get install firefox-esr")
        profile = os.path.join(self.tmp, "firefox")
        os.makedirs(profile)
        port = free_port()
        with open(os.path.join(profile, "user.js"), "w") as f:
            for k, v in dict(PREFS, **{"marionette.port": port}).items():
                f.write(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n")
        log = open(os.path.join(self.tmp, "firefox.log"), "ab")
        env = dict(os.environ, MOZ_CRASHREPORTER_DISABLE="1")
        # A session of its own: every process Firefox starts is found by it.
        self.ff_proc = subprocess.Popen(
            [FIREFOX, "--headless", "--marionette", "-remote-allow-system-access",
             "--profile", profile, "-no-remote"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, start_new_session=True)
        log.close()
        self.ff = Marionette(port)
        self.ff.connect(time.monotonic() + 60)   # slow on a loaded machine
        caps = self.ff.new_session()
        self.ff.set_window(1280, 800)
        return f"{caps.get('browserName')} {caps.get('browserVersion')}"

    def test_firefox_render(self):
        ff = self.ff
        ff.navigate(self.url())
        flat = self.flat_pods()
        until("every pod has a row", lambda: ff.js(
            "return document.querySelectorAll('#rows tr[data-pod-id]').length") == len(flat), 10)
        until("the event stream is live", lambda: ff.js(
            "return document.getElementById('conn').textContent") == "live", 10)
        fams = set()
        for p, depth in flat:
            r = self.ff_row(p["id"])
            what = f"{p['name'] or p['id']} ({p['state']})"
            check(r["depth"] == str(depth), f"{what} at depth {r['depth']}, wanted {depth}")
            check(r["chip"] == p["state"], f"{what}'s chip reads {r['chip']!r}")
            fam = family(r["bg"], r["fg"])
            check(fam == EXPECTED_FAMILY[p["state"]], f"{what}: chip {r['bg']} on {r['fg']} is {fam}")
            fams.add(f"{p['state']} {fam}")
            live = p["state"] not in TERMINAL
            check((r["stop"] is not None) == live, f"{what}: Stop {'missing' if live else 'shown'}")
        return f"{len(flat)} rows; " + ", ".join(sorted(fams))

    def test_firefox_stop(self):
        ff, c = self.ff, self.client
        sid = self.ids["ff-stubborn"] = c.spawn(["sh", "-c", 'trap "" INT; sleep 60'],
                                                name="ff-stubborn", cancel_grace=3, term_grace=3)
        until("ff-stubborn runs, its trap set", lambda: self.pod("ff-stubborn")["state"] == "running"
              and self.trap_set("ff-stubborn"), 10)
        until("its row shows up live, with Stop", lambda: (lambda r: r and r["chip"] == "running"
              and r["stop"] == {"disabled": False, "text": "Stop"})(self.ff_row(sid)), 5)
        t_click = time.time()
        ff.click(ff.find(f'#rows tr[data-pod-id="{sid}"] button.stop'))
        m = until("the button is disabled and counts down to SIGTERM", lambda: (
            lambda r: r["stop"] and r["stop"]["disabled"] and STOPPING_RE.match(r["stop"]["text"]))(
                self.ff_row(sid)), 3)
        seen_at = time.time()
        check(m.group(1) == "SIGTERM", f"the first rung shown is {m.group(1)}")
        p = self.pod("ff-stubborn")
        check(p["state"] == "stopping" and p["next_stage_at"], f"ff-stubborn: {p['state']}")
        at = parse_time(p["next_stage_at"])
        check(2 <= at - t_click <= 4.5, f"next_stage_at is {at - t_click:.1f} s after the click")
        want = math.ceil(at - seen_at)
        check(abs(int(m.group(2)) - want) <= 1,
              f"the button shows {m.group(2)} s, next_stage_at says {want} s")
        self.ff_shot("firefox-stopping.png")
        until("the chip reads terminated and the button is gone", lambda: (
            lambda r: r["chip"] == "terminated" and r["stop"] is None)(self.ff_row(sid)), 10)
        r = self.ff_row(sid)
        check(family(r["bg"], r["fg"]) == "amber", f"terminated chip {r['bg']} on {r['fg']}")
        check(self.pod("ff-stubborn")["state"] == "terminated", "the daemon has it terminated")
        return f"{m.group(0)} -> terminated"

    def test_firefox_fold(self):
        ff, aid, wid = self.ff, self.ids["agent"], self.ids["worker"]
        tw = ff.find(f'#rows tr[data-pod-id="{aid}"] button.twisty')
        ff.send_keys(tw, "\ue007")                       # Enter
        until("Enter folds agent", lambda: self.ff_row(aid)["expanded"] == "false"
              and not self.ff_row(wid)["shown"], 3)
        ff.send_keys(tw, " ")
        until("Space unfolds it", lambda: self.ff_row(aid)["expanded"] == "true"
              and self.ff_row(wid)["shown"], 3)
        return "Enter folds, Space unfolds"

    def test_firefox_widths(self):
        """Firefox makes no window narrower than 500 px: the phone's 390 px
        are a 500 px window zoomed to 128% (a device pixel ratio of 1.28)."""
        ff, out = self.ff, []
        for w, h, name in ((390, 844, "firefox-phone.png"), (1280, 800, "firefox.png")):
            ff.set_window(max(w, 500), h)
            ff.zoom(max(w, 500) / w)
            lay = until(f"the window is {w} px wide", lambda: (lambda x: x if abs(x["w"] - w) <= 16
                        else None)(ff.js(LAYOUT_JS)), 5)
            check_layout(lay, w)
            ff.js("document.activeElement && document.activeElement.blur()")
            self.ff_shot(name)
            out.append(f"{lay['w']} px: {lay['scroll']} px wide")
        return "; ".join(out)

    def session_procs(self, sid):
        """Live processes of session sid."""
        out = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open(f"/proc/{d}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z" and int(fields[3]) == sid:
                out.append(int(d))
        return out

    def stop_firefox(self):
        if self.ff_proc is None:
            return None
        proc, self.ff_proc = self.ff_proc, None
        n = len(self.session_procs(proc.pid))
        if self.ff is not None:
            self.ff.quit()
            self.ff = None
        try:
            rc = proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise Failure("Firefox did not quit within 30 s")
        try:
            until("no Firefox process is left", lambda: not self.session_procs(proc.pid), 10)
        except Failure:
            left = self.session_procs(proc.pid)
            for pid in left:
                os.kill(pid, signal.SIGKILL)
            raise Failure(f"Firefox processes left after it quit: {left}")
        return f"exit {rc}; {n} processes ended"
