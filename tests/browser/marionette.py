"""A small client of Firefox's Marionette protocol, Python stdlib only.

Debian ships firefox-esr but no geckodriver; Firefox itself speaks
Marionette (started with --marionette, on the port of the profile's
marionette.port): each message is "LENGTH:JSON", a command
[0, ID, "WebDriver:Navigate", {...}] and its answer [1, ID, ERROR, RESULT],
after a first message {"applicationType": "gecko", "marionetteProtocol": 3}
from Firefox.  The commands are WebDriver's, under Marionette's names.
"""

import json
import socket
import time

from common import Failure

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"   # WebDriver's element key


class MarionetteError(Failure):
    """Firefox answered a command with an error, or the channel broke."""


class Marionette:
    def __init__(self, port, timeout=30.0):
        self.sock = None
        self.port = port
        self.timeout = timeout
        self.next_id = 1
        self.buf = b""

    def connect(self, deadline):
        """Connect, retrying until deadline (time.monotonic()) while
        Firefox starts; then read its greeting."""
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", self.port), 1.0)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    raise MarionetteError(f"nothing listens on Marionette's port {self.port}")
                time.sleep(0.1)      # the port opens once Firefox is up
        self.sock.settimeout(self.timeout)
        hello = self.read()
        if not isinstance(hello, dict) or hello.get("marionetteProtocol") != 3:
            raise MarionetteError(f"not Marionette protocol 3: {hello!r}")
        return hello

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def read(self):
        while b":" not in self.buf:
            self.fill()
        head, self.buf = self.buf.split(b":", 1)
        if not head.isdigit():
            raise MarionetteError(f"a bad length from Marionette: {head[:20]!r}")
        n = int(head)
        while len(self.buf) < n:
            self.fill()
        body, self.buf = self.buf[:n], self.buf[n:]
        return json.loads(body)

    def fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise MarionetteError("Firefox closed the Marionette connection")
        self.buf += chunk

    def command(self, name, params=None):
        """Send one command and return its result (a MarionetteError for
        its error)."""
        mid = self.next_id
        self.next_id += 1
        data = json.dumps([0, mid, name, params or {}]).encode()
        self.sock.sendall(str(len(data)).encode() + b":" + data)
        while True:
            msg = self.read()
            if isinstance(msg, list) and len(msg) == 4 and msg[0] == 1 and msg[1] == mid:
                break
        if msg[2]:
            err = msg[2]
            raise MarionetteError(f"{name}: {err.get('error')}: {err.get('message')}")
        return msg[3]

    # -- WebDriver, the commands the tests use --

    def new_session(self):
        return self.command("WebDriver:NewSession", {"capabilities": {}})["capabilities"]

    def navigate(self, url):
        self.command("WebDriver:Navigate", {"url": url})

    def js(self, script, *args):
        """Run script (a function body; arguments[i] are args) in the page."""
        return self.command("WebDriver:ExecuteScript",
                            {"script": script, "args": list(args)})["value"]

    def find(self, css):
        return self.command("WebDriver:FindElement",
                            {"using": "css selector", "value": css})["value"]

    def click(self, element):
        self.command("WebDriver:ElementClick", {"id": element[ELEMENT]})

    def send_keys(self, element, text):
        self.command("WebDriver:ElementSendKeys", {"id": element[ELEMENT], "text": text})

    def set_window(self, width, height):
        return self.command("WebDriver:SetWindowRect", {"width": width, "height": height})

    def zoom(self, factor):
        """Zoom the page (as Ctrl-+ does): fewer CSS pixels in the window.
        Needs chrome context, so Firefox started with
        -remote-allow-system-access."""
        self.command("Marionette:SetContext", {"value": "chrome"})
        try:
            return self.js("gBrowser.selectedBrowser.fullZoom = arguments[0];"
                           "return gBrowser.selectedBrowser.fullZoom;", factor)
        finally:
            self.command("Marionette:SetContext", {"value": "content"})

    def screenshot(self):
        """The viewport as PNG, base64."""
        return self.command("WebDriver:TakeScreenshot", {"full": False, "hash": False})["value"]

    def quit(self):
        """End Firefox (it closes the connection as it goes)."""
        try:
            self.command("Marionette:Quit", {"flags": ["eForceQuit"]})
        except (MarionetteError, OSError):
            pass
        self.close()
