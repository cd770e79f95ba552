"""Integration tests of HTTP pods from Python: Client.spawn_http,
AsyncClient.spawn_http and pod.spawn_http, against a private podvisord
(from $top_builddir) and the loopback test server of httppods.sh.
"""

import asyncio
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
BUILD = pathlib.Path(os.environ.get("top_builddir") or SRCDIR / "_build")
SERVER = SRCDIR / "tests" / "integration" / "httppods-server.py"
WATCHDOG = 120

TMP = SOCK = DAEMON = HTTPD = URL = None


def wait_for(cond, desc, timeout=10.0):
    """Poll cond() until it is true; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not (value := cond()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s: {desc}")
        time.sleep(0.02)
    return value


def answers():
    try:
        podvisor.Client(SOCK, timeout=2).status()
        return True
    except podvisor.ConnectionFailed:
        return False


def setUpModule():
    global TMP, SOCK, DAEMON, HTTPD, URL
    for name in ("PODVISOR_SOCKET", "PODVISOR_POD"):
        os.environ.pop(name, None)
    TMP = tempfile.TemporaryDirectory(prefix="podvisor-pyhttp.")
    port = pathlib.Path(TMP.name) / "port"
    HTTPD = subprocess.Popen(["/usr/bin/python3", str(SERVER), str(port)],
                             stdin=subprocess.DEVNULL)
    wait_for(port.exists, "the test server")
    URL = f"http://127.0.0.1:{port.read_text().strip()}"
    SOCK = os.path.join(TMP.name, "run", "podvisor.sock")
    log = open(os.path.join(TMP.name, "daemon.log"), "wb")
    DAEMON = subprocess.Popen(
        [str(BUILD / "podvisord"), "--socket", SOCK, "--state-dir",
         os.path.join(TMP.name, "state"), "--cancel-grace", "10s"],
        stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    log.close()
    wait_for(answers, "podvisord to answer")


def tearDownModule():
    for proc in (DAEMON, HTTPD):
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    if DAEMON is not None and DAEMON.returncode != 0:
        print(f"podvisord exited with {DAEMON.returncode}", file=sys.stderr)
    if TMP is not None:
        TMP.cleanup()


def podctl_json(*args):
    out = subprocess.run([str(BUILD / "podctl"), "-S", SOCK, "--json",
                          *args], capture_output=True, check=True,
                         timeout=30)
    return json.loads(out.stdout)


class HttpPods(unittest.TestCase):
    def setUp(self):
        faulthandler.dump_traceback_later(WATCHDOG, exit=True)
        self.client = podvisor.Client(SOCK)

    def tearDown(self):
        self.client.close()
        faulthandler.cancel_dump_traceback_later()

    def body(self, pod_id):
        return "".join(e["data"] for e in self.client.logs(pod_id)
                       if e["kind"] == "stdout")

    def test_ok(self):
        pod_id = self.client.spawn_http(URL + "/ok", name="py-ok")
        rec = self.client.wait(pod_id)[0]
        self.assertEqual(rec["state"], "succeeded")
        self.assertEqual(rec["exit_code"], 0)
        self.assertEqual(rec["http"], {"url": URL + "/ok", "method": "GET",
                                       "status": 200, "on_cancel": "finish"})
        self.assertEqual(self.body(pod_id), "hello\n")
        self.assertEqual(self.client.inspect(pod_id)["http"],
                         podctl_json("inspect", str(pod_id))["http"])

    def test_failed_status(self):
        pod_id = self.client.spawn_http(URL + "/fail", timeout=30)
        rec = self.client.wait(pod_id)[0]
        self.assertEqual((rec["state"], rec["http"]["status"]),
                         ("failed", 500))

    def test_request_as_asked(self):
        pod_id = self.client.spawn_http(
            URL + "/echo", method="PUT",
            headers={"Content-Type": "application/json", "X-Api-Key": "k1"},
            data=json.dumps({"prompt": "hi"}))
        self.client.wait(pod_id)
        echo = json.loads(self.body(pod_id))
        self.assertEqual(echo["method"], "PUT")
        self.assertEqual(json.loads(echo["body"]), {"prompt": "hi"})
        self.assertEqual(echo["headers"]["X-Api-Key"], "k1")
        spawn = next(e for e in self.client.logs(pod_id)
                     if e["kind"] == "spawn")
        self.assertIn("X-Api-Key: [redacted]", spawn["data"])
        self.assertNotIn("k1", spawn["data"])

    def test_on_cancel_abort(self):
        pod_id = self.client.spawn_http(URL + "/slow?n=50&ms=100",
                                        on_cancel="abort")
        wait_for(lambda: "chunk 0" in self.body(pod_id), "the first chunk")
        rec = self.client.stop(pod_id)[0]
        self.assertEqual(rec["state"], "stopped")
        self.assertEqual(rec["http"]["on_cancel"], "abort")
        self.assertNotIn("chunk 49", self.body(pod_id))

    def test_bad_requests_refused(self):
        before = len(self.client.status(all=True))
        for kwargs in ({"url": "ftp://127.0.0.1/"},
                       {"url": URL, "method": "NOT A METHOD"},
                       {"url": URL, "headers": ["no colon"]},
                       {"url": URL, "headers": ["X-A: 1\r\nX-B: 2"]},
                       {"url": URL, "on_cancel": "later"}):
            with self.subTest(**kwargs):
                with self.assertRaises(podvisor.InvalidRequest):
                    self.client.spawn_http(**kwargs)
        with self.assertRaises(TypeError):
            self.client.spawn_http(URL, headers="X-A: 1")
        self.assertEqual(len(self.client.status(all=True)), before)

    def test_async(self):
        async def run():
            async with podvisor.aio.AsyncClient(SOCK) as client:
                pod_id = await client.spawn_http(URL + "/ok")
                return (await client.wait(pod_id))[0]
        rec = asyncio.run(run())
        self.assertEqual((rec["state"], rec["http"]["status"]),
                         ("succeeded", 200))

    def test_child_of_a_pod(self):
        agent = textwrap.dedent(f"""
            import podvisor
            pod = podvisor.attach()
            kid = pod.spawn_http({URL + "/ok"!r}, name="llm-call")
            while True:
                ev = pod.next_child_event(timeout=30)
                if ev is None or ev.event == "ended":
                    break
            pod.set_result({{"kid": kid, "state": ev and ev.state}})
        """)
        env = {"PYTHONPATH": str(SRCDIR / "python")}
        pod_id = self.client.spawn(["/usr/bin/python3", "-c", agent],
                                   env=env)
        self.client.wait(pod_id, timeout=60)
        result = self.client.result(pod_id)
        self.assertEqual(result["state"], "succeeded")
        kid = self.client.inspect(result["kid"])
        self.assertEqual(kid["parent"], pod_id)
        self.assertEqual(kid["http"]["status"], 200)


if __name__ == "__main__":
    unittest.main()
