"""Fixtures of the Python package's tests (pytest).

``daemon`` is a real podvisord from the build directory ($top_builddir,
else _build/ or the top of the source tree) on a private socket and state
directory, one for the whole run; ``client`` a podvisor.Client on it;
``pods`` spawns pods that are stopped after the test if still live.  Every
test runs under a watchdog that ends a hung run with a traceback, and an
``async def`` test on an event loop of its own.
"""

import asyncio
import faulthandler
import inspect
import json
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import time

import pytest

import podvisor

SRCDIR = pathlib.Path(__file__).resolve().parents[2]
WATCHDOG = 120          # seconds any one test may take
TERMINAL = {"succeeded", "failed", "stopped", "terminated", "killed", "lost"}
WORKLOAD = pathlib.Path(__file__).resolve().parent / "workload.py"


def builddir():
    """Where podvisord and podctl were built."""
    if os.environ.get("top_builddir"):
        return pathlib.Path(os.environ["top_builddir"])
    for candidate in (SRCDIR / "_build", SRCDIR):
        if (candidate / "podvisord").exists():
            return candidate
    return SRCDIR / "_build"


BUILD = builddir()


def wait_for(cond, desc, timeout=10.0):
    """Poll cond() until it is true (and return it); fail after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for"
                                 f" {desc}")
        time.sleep(0.02)


class Daemon:
    """A private podvisord: its socket, state directory and log."""

    def __init__(self, where):
        self.where = where
        self.sock = os.path.join(where, "run", "podvisor.sock")
        self.logfile = os.path.join(where, "daemon.log")
        podvisord = BUILD / "podvisord"
        if not os.access(podvisord, os.X_OK):
            raise RuntimeError(f"no podvisord in {BUILD}: build it first (or"
                               " set top_builddir)")
        with open(self.logfile, "wb") as log:
            self.proc = subprocess.Popen(
                [str(podvisord), "--socket", self.sock, "--state-dir",
                 os.path.join(where, "state")], stdout=log, stderr=log,
                stdin=subprocess.DEVNULL)

    def answers(self):
        try:
            podvisor.Client(self.sock, timeout=2).status()
            return True
        except podvisor.ConnectionFailed:
            return False

    def log(self, whole=False):
        """podvisord's log: its end, or all of it."""
        try:
            text = pathlib.Path(self.logfile).read_text(errors="replace")
        except OSError:
            return ""
        return text if whole else text[-3000:]

    def stop(self):
        """SIGTERM; podvisord's exit status (0 when all went well)."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def podctl_json(self, *args):
        """podctl's own --json output, to compare shapes with."""
        out = subprocess.run([str(BUILD / "podctl"), "-S", self.sock,
                              "--json", *args], capture_output=True,
                             check=True, timeout=30)
        text = out.stdout.decode()
        try:
            return json.loads(text)
        except ValueError:
            return [json.loads(line) for line in text.splitlines()]


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Run an ``async def`` test on a fresh event loop (no plugin needed)."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    asyncio.run(pyfuncitem.obj(**{n: pyfuncitem.funcargs[n] for n in names}))
    return True


@pytest.fixture(autouse=True)
def watchdog():
    faulthandler.dump_traceback_later(WATCHDOG, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture(scope="session")
def daemon():
    for name in ("PODVISOR_SOCKET", "PODVISOR_POD"):
        os.environ.pop(name, None)
    with tempfile.TemporaryDirectory(prefix="podvisor-pytest.") as where:
        d = Daemon(where)
        try:
            # A version mismatch raises ProtocolError here, naming both.
            wait_for(d.answers, "podvisord to answer")
            yield d
        finally:
            rc = d.stop()
            log = d.log(whole=True)
            if rc != 0:
                print(f"podvisord exited with {rc}:\n{log[-3000:]}",
                      file=sys.stderr)
        assert rc == 0, f"podvisord exited with {rc}"
        # Under make check-asan, a sanitizer report of podvisord or of a
        # pod runtime (whose stderr is podvisord's) fails the run.
        assert "Sanitizer" not in log and "runtime error:" not in log, \
            log[-3000:]


@pytest.fixture
def client(daemon):
    c = podvisor.Client(daemon.sock)
    yield c
    c.close()


class Pods:
    """Spawns pods for a test and stops those still live after it."""

    def __init__(self, client):
        self.client = client
        self.live = []

    def spawn(self, argv, **kw):
        pod_id = self.client.spawn(argv, **kw)
        self.live.append(pod_id)
        return pod_id

    def workload(self, mode, *args, aio=False, **kw):
        """A pod running tests/python/workload.py MODE ARGS (asyncio with
        aio), with this source tree's package on its path."""
        env = dict(kw.pop("env", {}))
        env["PYTHONPATH"] = str(SRCDIR / "python")
        argv = [sys.executable, str(WORKLOAD)] + (["--aio"] if aio else [])
        return self.spawn(argv + [mode, *map(str, args)], env=env, **kw)

    def state_is(self, pod, *states):
        return self.client.inspect(pod)["state"] in states

    def running(self, pod):
        wait_for(lambda: self.state_is(pod, "running"), f"pod {pod} to run")

    def entries(self, pod, **kw):
        return list(self.client.logs(pod, **kw))

    def facts(self, pod):
        """What workload.py said: its stdout lines, each a JSON object."""
        out = "".join(e["data"] for e in self.entries(pod)
                      if e["kind"] == "stdout")
        return [json.loads(line) for line in out.splitlines()]

    def fact(self, pod, what, timeout=20.0):
        """The first fact named what, waiting for it."""
        def find():
            return next((f for f in self.facts(pod) if f["fact"] == what),
                        None)
        return wait_for(find, f"pod {pod} to say {what!r}", timeout)

    def cleanup(self):
        if self.live:
            try:
                self.client.stop(*self.live, cancel_grace=0.2,
                                 term_grace=0.2, timeout=30)
            except podvisor.NotFound:
                pass


@pytest.fixture
def pods(client):
    p = Pods(client)
    yield p
    p.cleanup()
