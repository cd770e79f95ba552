"""What the console's browser tests share (Chromium through Selenium in
console.py and controls.py, Firefox through Marionette in firefox.py):
where the programs and screenshots are, a failed check, waits on a
condition with a deadline, and how a chip's colours are classed."""

import calendar
import colorsys
import os
import re
import socket
import sys

from selenium.common.exceptions import TimeoutException
from selenium.webdriver.support.ui import WebDriverWait

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("top_srcdir") or os.path.dirname(os.path.dirname(HERE))
if os.environ.get("top_builddir"):
    BUILDDIR = os.environ["top_builddir"]
    OUT_DIR = os.environ.get("OUT_DIR") or os.path.join(BUILDDIR, "tests", "browser")
else:
    BUILDDIR = os.path.join(SRCDIR, "_build")
    if not os.path.exists(os.path.join(BUILDDIR, "podvisord")):
        BUILDDIR = SRCDIR
    OUT_DIR = os.environ.get("OUT_DIR") or os.path.join(HERE, "out")
sys.path.insert(0, os.path.join(SRCDIR, "python"))

TERMINAL = {"succeeded", "failed", "stopped", "terminated", "killed", "lost"}
EXPECTED_FAMILY = {
    "stopped": "grey", "failed": "red", "terminated": "amber", "killed": "amber",
    "succeeded": "green", "paused": "blue", "running": "blue",
    "starting": "blue", "stopping": "blue", "terminating": "blue",
    "killing": "blue", "restarting": "blue",
}
STOPPING_RE = re.compile(r"^Stopping… \((SIGTERM|SIGKILL) in (\d+) s\)$")


# How the page fits its window: its width and scroll width, controls
# outside the window, chips too narrow for their text, buttons of a row on
# top of each other, the size of the pods' names, and buttons smaller than
# a finger's 24 px.
LAYOUT_JS = """
    var w = innerWidth, bad = [];
    document.querySelectorAll('#rows tr:not([hidden]) .chip, #rows tr:not([hidden]) button,' +
                              'header *, .bar *, #log-lines').forEach(function (el) {
      var r = el.getBoundingClientRect();
      if (!r.width) return;
      if (r.left < -0.5 || r.right > w + 0.5) bad.push((el.id || el.className) + ' ' +
                                                      r.left.toFixed(0) + '..' + r.right.toFixed(0));
    });
    var chips = Array.prototype.filter.call(document.querySelectorAll('#rows tr:not([hidden]) .chip'),
      function (c) { return c.scrollWidth > c.clientWidth + 1; }).map(function (c) {
      return c.textContent; });
    var overlap = [];
    document.querySelectorAll('#rows tr:not([hidden])').forEach(function (tr) {
      var bs = Array.prototype.filter.call(tr.querySelectorAll('button'), function (b) {
        return b.getClientRects().length; }).map(function (b) { return b.getBoundingClientRect(); });
      for (var i = 0; i < bs.length; i++) for (var j = i + 1; j < bs.length; j++) {
        var a = bs[i], b = bs[j];
        if (a.left < b.right - 0.5 && b.left < a.right - 0.5 &&
            a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5) overlap.push(tr.dataset.podId);
      }
    });
    var small = Array.prototype.filter.call(document.querySelectorAll(
        '#rows tr:not([hidden]) .c-act button, #rows tr:not([hidden]) button.twisty'), function (b) {
      var r = b.getBoundingClientRect();
      return r.width && (r.width < 23.5 || r.height < 23.5);
    }).map(function (b) { var r = b.getBoundingClientRect();
      return b.className + ' ' + r.width.toFixed(0) + 'x' + r.height.toFixed(0); });
    var font = parseFloat(getComputedStyle(document.querySelector('#rows .c-name button.name')).fontSize);
    return {w: w, scroll: document.documentElement.scrollWidth, outside: bad.slice(0, 5),
            clipped: chips, overlap: overlap, font: font, small: small.slice(0, 5)};"""


class Failure(Exception):
    """A check that did not hold."""


def check(cond, what):
    if not cond:
        raise Failure(what)


def until(what, fn, timeout=10.0, driver=None):
    """Wait until fn() is truthy (polled every 50 ms) and return its value;
    a Failure naming what at the deadline."""
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.05,
                             ignored_exceptions=()).until(lambda _d: fn())
    except TimeoutException:
        raise Failure(f"timed out after {timeout:g} s waiting until {what}") from None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def family(bg, fg):
    """Which colour family a chip's computed colours belong to."""
    def parse(css):
        m = re.match(r"rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)", css)
        check(m, f"a colour: {css}")
        r, g, b = (float(m.group(i)) / 255 for i in (1, 2, 3))
        a = 1.0 if m.group(4) is None else float(m.group(4))
        h, l, s = colorsys.rgb_to_hls(r, g, b)
        return h * 360, s, l, a
    h, s, _l, a = parse(bg)
    _fh, fs, _fl, _fa = parse(fg)
    if a == 0:
        return "outline"
    if s < 0.2 and fs < 0.2:
        return "grey"
    if h >= 340 or h < 15:
        return "red"
    if 30 <= h < 60:
        return "amber"
    if 90 <= h < 170:
        return "green"
    if 190 <= h < 240:
        return "blue"
    return f"other(h={h:.0f},s={s:.2f})"


def check_layout(lay, w):
    """The page, as LAYOUT_JS saw it, fits a window w px wide."""
    check(lay["scroll"] <= lay["w"], f"at {w} px the page scrolls sideways: "
          f"{lay['scroll']} px wide in {lay['w']}")
    check(not lay["outside"], f"at {w} px outside the window: {lay['outside']}")
    check(not lay["clipped"], f"at {w} px clipped chips: {lay['clipped']}")
    check(not lay["overlap"], f"at {w} px buttons overlap in rows {lay['overlap']}")
    check(lay["font"] >= 13, f"at {w} px names are {lay['font']} px")
    if w < 720:         # the phone layout
        check(not lay["small"], f"at {w} px buttons under 24 px: {lay['small']}")


def parse_time(s):
    """RFC 3339 UTC ("…Z", as podvisord writes it) to seconds since the epoch."""
    m = re.match(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?Z$", s)
    check(m, f"an RFC 3339 UTC time: {s!r}")
    t = calendar.timegm(tuple(int(m.group(i)) for i in range(1, 7)) + (0, 0, 0))
    return t + (float(m.group(7)) if m.group(7) else 0.0)
