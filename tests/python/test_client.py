"""Integration tests of podvisor.Client and podvisor.aio.AsyncClient.

The module starts its own podvisord from the build directory ($top_builddir,
else _build/ or the top of the source tree) on a private socket and state
directory, and drives it with real workloads.  Waits poll a condition
against a deadline; a per-test watchdog ends a hung run with a traceback.
"""

import faulthandler
import json
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

import podvisor
import podvisor.aio

SRCDIR = pathlib.Path(__file__).resolve().parents[2]
WATCHDOG = 120
TERMINAL = {"succeeded", "failed", "stopped", "terminated", "killed", "lost"}


def builddir():
    if os.environ.get("top_builddir"):
        return pathlib.Path(os.environ["top_builddir"])
    for candidate in (SRCDIR / "_build", SRCDIR):
        if (candidate / "podvisord").exists():
            return candidate
    return SRCDIR / "_build"


BUILD = builddir()
TMP = None
SOCK = None
DAEMON = None


def wait_for(cond, desc, timeout=10.0):
    """Poll cond() until it is true; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for"
                                 f" {desc}")
        time.sleep(0.02)


def daemon_log():
    try:
        return (pathlib.Path(TMP.name) / "daemon.log").read_text()[-3000:]
    except OSError:
        return ""


def answers():
    try:
        podvisor.Client(SOCK, timeout=2).status()
        return True
    except podvisor.ConnectionFailed:
        return False


def setUpModule():
    global TMP, SOCK, DAEMON
    for name in ("PODVISOR_SOCKET", "PODVISOR_POD"):
        os.environ.pop(name, None)
    podvisord = BUILD / "podvisord"
    if not os.access(podvisord, os.X_OK):
        raise RuntimeError(f"no podvisord in {BUILD}: build it first (or"
                           " set top_builddir)")
    TMP = tempfile.TemporaryDirectory(prefix="podvisor-pytest.")
    SOCK = os.path.join(TMP.name, "run", "podvisor.sock")
    log = open(os.path.join(TMP.name, "daemon.log"), "wb")
    DAEMON = subprocess.Popen(
        [str(podvisord), "--socket", SOCK, "--state-dir",
         os.path.join(TMP.name, "state")], stdout=log, stderr=log,
        stdin=subprocess.DEVNULL)
    log.close()
    try:
        # A version mismatch raises ProtocolError here, naming both.
        wait_for(answers, "podvisord to answer")
    except BaseException:
        tearDownModule()
        raise


def tearDownModule():
    global DAEMON
    if DAEMON is not None:
        DAEMON.send_signal(signal.SIGTERM)
        try:
            rc = DAEMON.wait(30)
        except subprocess.TimeoutExpired:
            DAEMON.kill()
            rc = DAEMON.wait()
        DAEMON = None
        if rc != 0:
            print(f"podvisord exited with {rc}:\n{daemon_log()}",
                  file=sys.stderr)
    if TMP is not None:
        TMP.cleanup()


def podctl_json(*args):
    """podctl's own --json output, to compare shapes with."""
    out = subprocess.run([str(BUILD / "podctl"), "-S", SOCK, "--json",
                          *args], capture_output=True, check=True,
                         timeout=30)
    text = out.stdout.decode()
    try:
        return json.loads(text)
    except ValueError:
        return [json.loads(line) for line in text.splitlines()]


class Base(unittest.TestCase):
    def setUp(self):
        faulthandler.dump_traceback_later(WATCHDOG, exit=True)
        self.client = podvisor.Client(SOCK)
        self.live = []

    def tearDown(self):
        if self.live:
            try:
                self.client.stop(*self.live, cancel_grace=0.2,
                                 term_grace=0.2, timeout=30)
            except podvisor.NotFound:
                pass
        self.client.close()
        faulthandler.cancel_dump_traceback_later()

    def spawn(self, argv, **kw):
        pod_id = self.client.spawn(argv, **kw)
        self.live.append(pod_id)
        return pod_id

    def state_is(self, pod, *states):
        return self.client.inspect(pod)["state"] in states

    def running(self, pod):
        wait_for(lambda: self.state_is(pod, "running"), f"pod {pod} to run")

    def entries(self, pod, **kw):
        return list(self.client.logs(pod, **kw))


class TestLifecycle(Base):
    def test_spawn_wait_and_logs(self):
        pod = self.spawn(["sh", "-c", "echo out; printf '\\377' >&2; exit 3"],
                         name="exit-three")
        self.assertIsInstance(pod, int)
        [rec] = self.client.wait(pod)
        self.assertEqual((rec["id"], rec["name"], rec["state"],
                          rec["exit_code"], rec["signal"]),
                         (pod, "exit-three", "failed", 3, None))
        self.assertEqual((rec["stop_signal"], rec["on_parent_exit"]),
                         ("SIGINT", "stop"))
        self.assertTrue(rec["ended_at"].endswith("Z"))
        entries = self.entries(pod)
        self.assertEqual([e["seq"] for e in entries],
                         list(range(1, len(entries) + 1)))
        kinds = [e["kind"] for e in entries]
        self.assertEqual(kinds[0], "spawn")
        self.assertEqual(kinds[-1], "exit")
        out = [e for e in entries if e["kind"] == "stdout"]
        err = [e for e in entries if e["kind"] == "stderr"]
        self.assertEqual([e["data"] for e in out], ["out\n"])
        self.assertEqual([(e["data"], e["encoding"]) for e in err],
                         [("/w==", "base64")])
        self.assertEqual(self.entries(pod, tail=2), entries[-2:])
        self.assertEqual(self.entries(pod, from_seq=3), entries[2:])
        self.assertEqual(self.client.inspect("exit-three")["id"], pod)

    def test_shapes_match_podctl_json(self):
        pod = self.spawn(["sh", "-c", "echo hi"], name="shape",
                         env={"K": "V"}, timeout=60, cancel_grace=3,
                         stop_signal="TERM")
        self.client.wait(pod)
        ours = self.client.inspect(pod)
        theirs = podctl_json("inspect", str(pod))
        for key, value in theirs.items():
            self.assertEqual(ours.get(key, "<missing>"), value, key)
        self.assertEqual((ours["timeout_ms"], ours["cancel_grace_ms"],
                          ours["stop_signal"]), (60000, 3000, "SIGTERM"))
        self.assertEqual(list(self.client.logs(pod)),
                         podctl_json("logs", str(pod)))
        ours = self.client.status(pod)
        theirs = podctl_json("status", str(pod))
        self.assertEqual({k: ours.get(k) for k in theirs}, theirs)

    def test_env_cwd_and_pod_variables(self):
        with tempfile.TemporaryDirectory() as where:
            pod = self.spawn(["sh", "-c", 'echo "$FOO|$PODVISOR_POD"; pwd'],
                             env={"FOO": "bar baz"}, cwd=where)
            self.client.wait(pod)
            out = "".join(e["data"] for e in self.entries(pod)
                          if e["kind"] == "stdout")
        self.assertEqual(out, f"bar baz|{pod}\n{os.path.realpath(where)}\n")

    def test_logs_follow_until_the_end(self):
        pod = self.spawn(["sh", "-c",
                          "for i in 1 2 3; do echo $i; sleep 0.1; done"])
        entries = list(self.client.logs(pod, follow=True))
        self.assertEqual("".join(e["data"] for e in entries
                                 if e["kind"] == "stdout"), "1\n2\n3\n")
        self.assertEqual(entries[-1]["kind"], "exit")
        self.assertTrue(self.state_is(pod, *TERMINAL))

    def test_logs_tail_zero_is_only_what_comes(self):
        pod = self.spawn(["sh", "-c", "echo early; exec sleep 60"])
        wait_for(lambda: any(e["kind"] == "stdout"
                             for e in self.entries(pod)), "early output")
        stream = self.client.logs(pod, follow=True, tail=0)
        self.client.kill(pod, "KILL")
        entries = list(stream)
        self.assertNotIn("early\n", [e["data"] for e in entries])
        self.assertEqual(entries[-1]["kind"], "exit")

    def test_timeout_stops_the_pod(self):
        pod = self.spawn(["sleep", "60"], timeout=0.3)
        [rec] = self.client.wait(pod, timeout=30)
        self.assertEqual((rec["state"], rec["reason"]), ("stopped", "timeout"))


class TestStopKillSendRm(Base):
    def test_tree_status_and_stop(self):
        top = self.spawn(["sleep", "60"], name="tree-top")
        kid = self.spawn(["sleep", "60"], parent="tree-top")
        self.running(top)
        self.running(kid)
        sub = self.client.status("tree-top")
        self.assertEqual(sub["id"], top)
        self.assertEqual([c["id"] for c in sub["children"]], [kid])
        self.assertEqual(sub["children"][0]["parent"], top)
        roots = {r["id"]: r for r in self.client.status()}
        self.assertIn(top, roots)
        self.assertNotIn(kid, roots)
        self.assertEqual(self.client.inspect(top)["children"], [kid])
        recs = self.client.stop(top, reason="deploy")
        self.assertEqual({r["id"] for r in recs}, {top, kid})
        for rec in recs:
            self.assertEqual(rec["state"], "stopped")
            self.assertIsNotNone(rec["stop_requested_at"])
        self.assertEqual(recs[0]["reason"], "deploy")
        self.assertNotIn(top, {r["id"] for r in self.client.status()})
        self.assertIn(top, {r["id"] for r in self.client.status(all=True)})
        # Stopping a terminal pod is a success that reports its outcome.
        self.assertEqual(self.client.stop(top)[0]["state"], "stopped")

    def test_stop_without_wait(self):
        pod = self.spawn(["sleep", "60"])
        self.running(pod)
        self.assertEqual(self.client.stop(pod, wait=False), [])
        [rec] = self.client.wait(pod, timeout=30)
        self.assertEqual((rec["state"], rec["reason"]), ("stopped", "user"))

    def test_term_grace_escalation(self):
        pod = self.spawn(["sh", "-c", "trap '' INT; while :; do sleep 0.05;"
                          " done"])
        self.running(pod)
        [rec] = self.client.stop(pod, cancel_grace=0.2, term_grace=5,
                                 timeout=30)
        self.assertEqual((rec["state"], rec["signal"]),
                         ("terminated", "SIGTERM"))

    def test_kill(self):
        pod = self.spawn(["sleep", "60"])
        self.running(pod)
        self.client.kill(pod, "sigkill")
        [rec] = self.client.wait(pod, timeout=30)
        self.assertEqual((rec["state"], rec["signal"]), ("failed", "SIGKILL"))
        with self.assertRaises(podvisor.OperationFailed):
            self.client.kill(pod, 15)
        with self.assertRaises(ValueError):
            self.client.kill(pod, "NOSUCH")

    def test_send(self):
        pod = self.spawn(["sleep", "60"])
        self.running(pod)
        seq = self.client.send(pod, "hello there")
        self.assertGreater(seq, 0)
        notes = [e for e in self.entries(pod) if e["kind"] == "notify"]
        self.assertIn((seq, "hello there"),
                      [(e["seq"], e["data"]) for e in notes])

    def test_rm(self):
        pod = self.spawn(["sleep", "60"])
        with self.assertRaises(podvisor.OperationFailed):
            self.client.rm(pod)
        self.client.stop(pod)
        [rec] = self.client.rm(pod)
        self.assertEqual(rec["id"], pod)
        with self.assertRaises(podvisor.NotFound):
            self.client.inspect(pod)
        self.live.remove(pod)


class TestErrors(Base):
    def test_not_found(self):
        with self.assertRaisesRegex(podvisor.NotFound, "no-such-pod") as cm:
            self.client.inspect("no-such-pod")
        self.assertEqual(cm.exception.code, "not-found")
        for call in (lambda: self.client.kill("no-such-pod"),
                     lambda: self.client.logs("no-such-pod").__next__(),
                     lambda: self.client.wait("no-such-pod"),
                     lambda: self.client.status("no-such-pod"),
                     lambda: self.client.spawn(["true"],
                                               parent="no-such-pod")):
            with self.assertRaises(podvisor.NotFound):
                call()
        # The connection survives an error reply.
        self.assertIsInstance(self.client.status(), list)

    def test_some_missing(self):
        pod = self.spawn(["true"])
        with self.assertRaises(podvisor.NotFound) as cm:
            self.client.wait(pod, "gone-1", timeout=30)
        self.assertEqual(cm.exception.missing, ["gone-1"])
        self.assertEqual([r["id"] for r in cm.exception.records], [pod])

    def test_bad_names_and_values(self):
        for name in ("bad name", "123", "x" * 65, ""):
            with self.assertRaises(podvisor.InvalidRequest, msg=name) as cm:
                self.client.spawn(["true"], name=name)
            self.assertIsInstance(cm.exception, ValueError)
        self.spawn(["sleep", "60"], name="taken")
        with self.assertRaises(podvisor.OperationFailed):
            self.client.spawn(["true"], name="taken")
        with self.assertRaises(ValueError):
            self.client.spawn(["true"], timeout=-1)
        with self.assertRaises(TypeError):
            self.client.spawn("true")

    def test_no_result(self):
        pod = self.spawn(["true"])
        self.client.wait(pod)
        with self.assertRaises(podvisor.NoResult):
            self.client.result(pod)
        self.assertIsNone(self.client.inspect(pod)["result"])

    def test_cannot_connect(self):
        with tempfile.TemporaryDirectory() as where:
            with self.assertRaisesRegex(podvisor.ConnectionFailed,
                                        "cannot reach podvisord"):
                podvisor.Client(os.path.join(where, "none.sock")).status()
            plain = os.path.join(where, "file")
            open(plain, "w").close()
            with self.assertRaises(podvisor.ConnectionFailed):
                podvisor.Client(plain).status()

    def test_wait_timeout_then_reuse(self):
        pod = self.spawn(["sleep", "60"])
        with self.assertRaises(podvisor.Timeout):
            self.client.wait(pod, timeout=0.2)
        self.assertEqual(self.client.inspect(pod)["id"], pod)

    def test_default_socket_from_environment(self):
        old = os.environ.get("PODVISOR_SOCKET")
        os.environ["PODVISOR_SOCKET"] = SOCK
        try:
            self.assertEqual(podvisor.default_socket(), SOCK)
            self.assertIsInstance(podvisor.Client().status(all=True), list)
        finally:
            if old is None:
                del os.environ["PODVISOR_SOCKET"]
            else:
                os.environ["PODVISOR_SOCKET"] = old


class TestPause(Base):
    def test_pause_and_resume(self):
        pod = self.spawn(["sleep", "60"])
        self.running(pod)
        self.client.pause(pod, timeout=30)
        self.assertEqual(self.client.inspect(pod)["state"], "paused")
        self.client.resume(pod)
        wait_for(lambda: self.state_is(pod, "running"), "the resume")


class TestPodAPI(Base):
    """The workload's side, through a real pod runtime."""

    WORKLOAD = textwrap.dedent("""
        import sys, podvisor
        try:
            pod = podvisor.attach()
        except podvisor.NotInPod:
            print("no-api"); sys.exit(0)
        pod.set_status("working", progress=0.5)
        pod.log("started", level="info", step=1)
        try:
            while True:
                pod.check()
                pod.wait_cancel(timeout=0.05)
        except podvisor.Stopped as e:
            pod.set_result({"stopped": e.reason})
            print("stopped:", e.reason)
    """)

    def test_cancel_is_a_message(self):
        pod = self.spawn([sys.executable, "-c", self.WORKLOAD],
                         env={"PYTHONPATH": str(SRCDIR / "python")})

        def started():
            out = "".join(e["data"] for e in self.entries(pod)
                          if e["kind"] == "stdout")
            rec = self.client.inspect(pod)
            return "no-api" in out or rec["status_text"] == "working"
        wait_for(started, "the workload to open the API or say it cannot")
        rec = self.client.inspect(pod)
        self.assertEqual(rec["status_text"], "working",
                         "the workload could not open the pod API")
        self.assertTrue(rec["api"])
        self.assertEqual(rec["progress"], 0.5)
        [rec] = self.client.stop(pod, reason="enough", timeout=30)
        self.assertEqual(rec["state"], "stopped")   # ended in the cancel stage
        self.assertIsNotNone(self.client.inspect(pod)["cancel_acked_at"])
        self.assertEqual(self.client.result(pod), {"stopped": "enough"})
        kinds = [e["kind"] for e in self.entries(pod)]
        self.assertIn("log", kinds)


class TestAsyncClient(unittest.IsolatedAsyncioTestCase):
    def setUp(self):
        faulthandler.dump_traceback_later(WATCHDOG, exit=True)

    def tearDown(self):
        faulthandler.cancel_dump_traceback_later()

    async def test_the_same_calls(self):
        async with podvisor.aio.AsyncClient(SOCK) as client:
            pod = await client.spawn(["sh", "-c", "echo async"],
                                     name="async-one")
            [rec] = await client.wait(pod, timeout=30)
            self.assertEqual(rec["state"], "succeeded")
            out = [e["data"] async for e in client.logs(pod, follow=True)
                   if e["kind"] == "stdout"]
            self.assertEqual(out, ["async\n"])
            self.assertEqual((await client.inspect("async-one"))["id"], pod)
            self.assertIn(pod, [r["id"] for r in
                                await client.status(all=True)])
            with self.assertRaises(podvisor.NoResult):
                await client.result(pod)
            with self.assertRaises(podvisor.NotFound):
                await client.inspect("no-such-pod")
            sleeper = await client.spawn(["sleep", "60"])
            with self.assertRaises(podvisor.Timeout):
                await client.wait(sleeper, timeout=0.2)
            seq = await client.send(sleeper, b"\x00bytes")
            self.assertGreater(seq, 0)
            [rec] = await client.stop(sleeper, timeout=30)
            self.assertIn(rec["state"], TERMINAL)
            removed = await client.rm(pod, sleeper)
            self.assertEqual({r["id"] for r in removed}, {pod, sleeper})

    async def test_cannot_connect(self):
        client = podvisor.aio.AsyncClient("/nonexistent/podvisor.sock")
        with self.assertRaises(podvisor.ConnectionFailed):
            await client.status()


if __name__ == "__main__":
    unittest.main()
