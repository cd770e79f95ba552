"""Unit tests of the pod API client (podvisor.Pod, podvisor.aio.AsyncPod).

Each test plays the pod runtime itself: it makes a socketpair, names the
workload's end in PODVISOR_API_FD and speaks the wire protocol on the other
end with its own framing code (not the package's).  Waits are bounded by
deadlines; conftest.py's watchdog ends a hung run with a traceback.  The
coroutine tests run on a fresh event loop each (conftest.py's hook).
"""

import asyncio
import fcntl
import json
import os
import pathlib
import socket
import struct
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from unittest import mock

import msgpack
import pytest

import podvisor
import podvisor.aio

ENV = "PODVISOR_API_FD"
WAIT = 5.0              # seconds to wait for a frame that must come
# How long messages(timeout=...) waits for the next message in the
# iterator tests: it ends the iteration, so it is paid once per test, but
# each message comes from a responder thread that a loaded machine (ASan,
# make -j2) may not schedule for a few hundred milliseconds.
NEXT_MESSAGE = 2.0


def frame(msg):
    payload = msgpack.packb(msg, use_bin_type=True)
    return struct.pack(">I", len(payload)) + payload


def ns(seconds):
    return int(seconds * 1e9)


class FakeRuntime:
    """The runtime's end of the API socketpair."""

    def __init__(self):
        self.sock, pod_end = socket.socketpair()
        self.fd = pod_end.detach()
        os.environ[ENV] = str(self.fd)
        self.buf = b""

    def send(self, kind, **fields):
        self.sock.sendall(frame({"type": kind, **fields}))

    def send_raw(self, data):
        self.sock.sendall(data)

    def handshake(self, id=7, name="agent", parent=3, deadline=None,
                  version=5):
        self.send("hello", version=version)
        self.send("welcome", id=id, name=name, parent=parent,
                  deadline=deadline)

    def _read(self, deadline):
        self.sock.settimeout(max(0.001, deadline - time.monotonic()))
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise AssertionError("no frame from the workload in time")
        return data

    def recv(self, timeout=WAIT):
        """The next frame the workload sent; None at end of file."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 4:
                (n,) = struct.unpack(">I", self.buf[:4])
                if len(self.buf) >= 4 + n:
                    payload, self.buf = self.buf[4:4 + n], self.buf[4 + n:]
                    return msgpack.unpackb(payload, raw=False)
            data = self._read(deadline)
            if not data:
                return None
            self.buf += data

    def recv_until(self, kind, timeout=WAIT):
        """Frames up to and including the first of that type."""
        frames = []
        while True:
            msg = self.recv(timeout)
            if msg is None:
                raise AssertionError(f"end of file before a '{kind}' frame")
            frames.append(msg)
            if msg["type"] == kind:
                return frames

    def types_until(self, kind):
        return [m["type"] for m in self.recv_until(kind)]

    def close(self):
        self.sock.close()


class Responder(threading.Thread):
    """Plays a part of the runtime concurrently; re-raises its failure."""

    def __init__(self, fn):
        super().__init__(daemon=True)
        self.fn, self.error = fn, None
        self.start()

    def run(self):
        try:
            self.fn()
        except BaseException as e:      # handed to the test by finish()
            self.error = e

    def finish(self):
        self.join(WAIT * 2)
        if self.is_alive():
            raise AssertionError("the fake runtime's thread did not finish")
        if self.error is not None:
            raise self.error


class Base:
    """A fake runtime for each test (self.rt), and the pods it attached,
    closed after it."""

    @pytest.fixture(autouse=True)
    def runtime(self):
        self.rt = FakeRuntime()
        self.pods = []
        self.cleanups = []
        yield self.rt
        for fn, args in reversed(self.cleanups):
            fn(*args)
        for pod in self.pods:
            pod.close()
        self.rt.close()
        os.environ.pop(ENV, None)

    def addCleanup(self, fn, *args):
        self.cleanups.append((fn, args))

    def attach(self, **kw):
        pod = podvisor.attach(**kw)
        self.pods.append(pod)
        return pod

    def opened(self, **welcome):
        """A pod past the hello exchange; its hello consumed."""
        self.rt.handshake(**welcome)
        pod = self.attach()
        assert self.rt.recv()["type"] == "hello"
        return pod


class TestAttach(Base):
    def test_not_in_pod_without_variable(self):
        os.environ.pop(ENV)
        with pytest.raises(podvisor.NotInPod):
            podvisor.attach()

    def test_not_in_pod_with_bad_values(self):
        r, w = os.pipe()
        self.addCleanup(os.close, w)
        closed = os.dup(r)
        os.close(closed)
        for value in ("", "abc", "-1", str(closed), str(r)):
            os.environ[ENV] = value
            with pytest.raises(podvisor.NotInPod):
                podvisor.attach()
            assert ENV not in os.environ

    def test_hello_welcome_env_and_cloexec(self):
        os.set_inheritable(self.rt.fd, True)
        self.rt.handshake(id=12, name="agent", parent=3,
                          deadline=ns(2e9))
        pod = self.attach()
        hello = self.rt.recv()
        assert hello == {"type": "hello", "version": 5,
                         "handles": ["cancel", "notify", "pause"],
                         "pid": os.getpid()}
        assert (pod.id, pod.name, pod.parent) == (12, "agent", 3)
        assert pod.deadline == 2e9
        assert ENV not in os.environ
        assert not os.get_inheritable(self.rt.fd)
        assert fcntl.fcntl(self.rt.fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC
        # A second attach() in this process is the same pod.
        assert podvisor.attach() is pod

    def test_handles_and_nil_welcome_fields(self):
        self.rt.send("hello", version=5)
        self.rt.send("welcome", id=5, name=None, parent=None)
        pod = self.attach(handles=("cancel",))
        assert self.rt.recv()["handles"] == ["cancel"]
        assert (pod.name, pod.parent, pod.deadline) == (None, None, None)
        with pytest.raises(podvisor.PodvisorError):
            pod.next_message(timeout=0)

    def test_unknown_handle_is_refused_before_anything(self):
        with pytest.raises(ValueError):
            podvisor.attach(handles=("cancel", "telepathy"))
        assert ENV in os.environ

    def test_no_welcome_times_out(self):
        self.rt.send("hello", version=5)
        start = time.monotonic()
        with pytest.raises(podvisor.ConnectionFailed, match="welcome"):
            podvisor.attach(timeout=0.2)
        assert time.monotonic() - start < WAIT

    def test_version_mismatch(self):
        self.rt.send("hello", version=3)
        with pytest.raises(podvisor.ProtocolError, match="speaks 3.*speaks 5"):
            podvisor.attach()
        assert self.rt.recv()["type"] == "hello"
        err = self.rt.recv()
        assert (err["type"], err["code"]) == ("error", "protocol")
        assert self.rt.recv() is None

    def test_first_message_not_hello(self):
        self.rt.send("welcome", id=1)
        with pytest.raises(podvisor.ProtocolError, match="hello"):
            podvisor.attach()

    def test_runtime_refuses(self):
        self.rt.send("hello", version=5)
        self.rt.send("error", code="failed", message="the API is open")
        with pytest.raises(podvisor.ConnectionFailed, match="the API is open"):
            podvisor.attach()

    def test_runtime_closes_before_welcome(self):
        self.rt.send("hello", version=5)
        self.rt.sock.shutdown(socket.SHUT_WR)
        with pytest.raises(podvisor.ConnectionFailed, match="closed"):
            podvisor.attach()


class TestCancel(Base):
    def test_level_triggered_with_one_ack_on_first_observation(self):
        pod = self.opened()
        assert not pod.cancelled
        pod.check()                             # nothing yet: returns
        when = time.time() + 10
        self.rt.send("cancel", reason="user", requested_by="user alice",
                     deadline=ns(when))
        # Reading the frame is not observing it: no ack yet.
        assert pod.next_child_event(timeout=0) is None
        assert pod.deadline == pytest.approx(when, abs=5e-4)
        pod.heartbeat()
        assert self.rt.types_until("heartbeat") == ["heartbeat"]
        # The first observation acknowledges it, once.
        assert pod.cancelled
        for _ in range(3):
            with pytest.raises(podvisor.Stopped) as cm:
                pod.check()
        assert cm.value.reason == "user"
        assert cm.value.requested_by == "user alice"
        assert cm.value.deadline == pytest.approx(when, abs=5e-4)
        assert isinstance(cm.value, podvisor.PodvisorError)
        assert pod.cancel.reason == "user"
        assert pod.wait_cancel(timeout=0)
        assert pod.cancelled
        pod.heartbeat()
        assert self.rt.types_until("heartbeat") == ["ack", "heartbeat"]

    def test_check_observes_first(self):
        pod = self.opened()
        self.rt.send("cancel", reason="timeout", requested_by="timeout",
                     deadline=ns(time.time() + 5))
        with pytest.raises(podvisor.Stopped, match="timeout"):
            pod.check()
        assert self.rt.recv()["type"] == "ack"

    def test_wait_cancel(self):
        pod = self.opened()
        assert not pod.wait_cancel(timeout=0.05)
        later = Responder(lambda: self.rt.send(
            "cancel", reason="parent-stopped", requested_by="parent 3",
            deadline=ns(time.time() + 5)))
        assert pod.wait_cancel(timeout=WAIT)
        later.finish()
        assert pod.cancel.requested_by == "parent 3"
        assert self.rt.recv()["type"] == "ack"

    def test_cancel_survives_a_closed_channel(self):
        pod = self.opened()
        self.rt.send("cancel", reason="user", deadline=ns(time.time()))
        self.rt.close()
        for _ in range(2):
            with pytest.raises(podvisor.Stopped):
                pod.check()

    def test_cancel_right_after_welcome(self):
        self.rt.handshake()
        self.rt.send("cancel", reason="user", requested_by="user bob",
                     deadline=ns(time.time() + 3))
        pod = self.attach()
        assert pod.cancelled
        assert self.rt.types_until("ack") == ["hello", "ack"]


class CountingSocket:
    """The pod's socket, counting the recv() calls made on it."""

    def __init__(self, sock):
        self.sock, self.recvs = sock, 0

    def recv(self, *args):
        self.recvs += 1
        return self.sock.recv(*args)

    def __getattr__(self, name):
        return getattr(self.sock, name)


class FakeClock:
    """time.monotonic_ns for the pod module, moved by hand."""

    def __init__(self):
        self.now = time.monotonic_ns()

    def __call__(self):
        return self.now


class TestCheapCheck(Base):
    """check() reads the channel at most every QUIET_NS when nothing is
    pending; any other read, or input, ends that window."""

    @pytest.fixture(autouse=True)
    def clock(self, runtime, monkeypatch):
        self.clock = FakeClock()
        monkeypatch.setattr("podvisor._pod._monotonic_ns", self.clock)

    def counted(self):
        pod = self.opened()
        pod._sock = CountingSocket(pod._sock)
        return pod

    def test_no_read_within_the_window(self):
        pod = self.counted()
        pod.check()
        assert pod._sock.recvs == 1
        for _ in range(1000):
            pod.check()
            assert not pod.cancelled
        assert pod._sock.recvs == 1
        self.clock.now += podvisor._pod.QUIET_NS
        pod.check()
        assert pod._sock.recvs == 2

    def test_a_cancel_is_seen_once_the_window_ends(self):
        pod = self.counted()
        pod.check()
        self.rt.send("cancel", reason="user", deadline=ns(time.time() + 9))
        pod.check()                     # within the window: not read yet
        self.clock.now += podvisor._pod.QUIET_NS
        with pytest.raises(podvisor.Stopped):
            pod.check()
        assert self.rt.recv()["type"] == "ack"
        with pytest.raises(podvisor.Stopped):
            pod.check()                 # level-triggered: every time

    def test_input_read_by_another_call_ends_the_window(self):
        pod = self.counted()
        pod.check()
        self.rt.send("cancel", reason="user", deadline=ns(time.time() + 9))
        assert pod.next_child_event(timeout=WAIT / 10) is None
        with pytest.raises(podvisor.Stopped):
            pod.check()                 # the clock has not moved

    def test_a_failure_ends_the_window(self):
        pod = self.counted()
        pod.check()
        pod.close()
        with pytest.raises(podvisor.ConnectionFailed):
            pod.check()

    def test_a_pause_read_elsewhere_is_confirmed_at_once(self):
        pod = self.counted()
        pod.check()
        self.rt.send("pause")
        assert pod.next_message(timeout=WAIT) is None

        def runtime():
            assert self.rt.types_until("paused")[-1] == "paused"
            self.rt.send("resume")
        responder = Responder(runtime)
        pod.check()
        responder.finish()


class TestRequests(Base):
    def test_extend_granted_with_frames_in_between(self):
        pod = self.opened()
        self.rt.send("cancel", reason="user", deadline=ns(1000))
        new = time.time() + 40

        def runtime():
            req = self.rt.recv_until("extend")[-1]
            assert req["ms"] == 2500 and req["why"] == "checkpoint", req
            self.rt.send("child", id=9, event="spawned", state="running")
            self.rt.send("extended", deadline=ns(new))
        responder = Responder(runtime)
        assert pod.extend(2.5, why="checkpoint") == \
            pytest.approx(new, abs=5e-4)
        responder.finish()
        assert pod.cancel.deadline == pytest.approx(new, abs=5e-4)
        assert pod.deadline == pytest.approx(new, abs=5e-4)
        assert pod.next_child_event(timeout=0).id == 9

    def test_extend_refused(self):
        pod = self.opened()
        self.rt.send("error", code="refused",
                     message="beyond --max-extend (10s in all)")
        with pytest.raises(podvisor.Refused, match="max-extend") as cm:
            pod.extend(60)
        assert cm.value.code == "refused"
        assert self.rt.recv()["ms"] == 60000
        for bad in (0, -1):
            with pytest.raises(ValueError):
                pod.extend(bad)

    def test_replies_are_matched_in_order(self):
        pod = self.opened()
        self.rt.send("ok")                      # answers the result below
        with pytest.raises(podvisor.ProtocolError,
                           match="'ok' does not answer the pending extend"):
            pod.extend(1)
        assert self.rt.recv_until("error")[-1]["code"] == "protocol"

    def test_result(self):
        pod = self.opened()
        self.rt.send("ok")
        pod.set_result({"answer": [1, 2], "text": "été"})
        data = self.rt.recv()["data"]
        assert isinstance(data, bytes)
        assert json.loads(data) == {"answer": [1, 2], "text": "été"}
        self.rt.send("error", code="usage", message="result already set")
        with pytest.raises(podvisor.InvalidRequest):
            pod.set_result(1)

    def test_result_too_large_or_not_json_sends_nothing(self):
        pod = self.opened()
        with pytest.raises(ValueError, match="65536"):
            pod.set_result("x" * 70000)
        with pytest.raises(ValueError):
            pod.set_result(float("nan"))
        with pytest.raises(TypeError):
            pod.set_result(object())
        pod.heartbeat()
        assert self.rt.types_until("heartbeat") == ["heartbeat"]

    def test_log_status_heartbeat(self):
        pod = self.opened()
        pod.log("fetched", level="warning", url="http://x",
                path=pathlib.Path("/tmp"))
        pod.log(b"\xff raw")
        pod.set_status("step 3", progress=0.25)
        pod.set_status("")
        log = self.rt.recv()
        assert (log["level"], log["message"]) == ("warning", b"fetched")
        assert json.loads(log["fields"]) == {"url": "http://x", "path": "/tmp"}
        log = self.rt.recv()
        assert log["message"] == b"\xff raw"
        assert "fields" not in log
        assert self.rt.recv() == {"type": "report", "text": "step 3",
                                  "progress": 0.25}
        assert self.rt.recv() == {"type": "report", "text": ""}
        for call in (lambda: pod.log("x", level="loud"),
                     lambda: pod.log("x" * 70000),
                     lambda: pod.set_status("x", progress=1.5),
                     lambda: pod.set_status("x" * 5000)):
            with pytest.raises(ValueError):
                call()
        pod.heartbeat()
        assert self.rt.types_until("heartbeat") == ["heartbeat"]


class TestMessages(Base):
    def test_recv_once_then_str_and_bytes(self):
        pod = self.opened()
        assert pod.next_message(timeout=0) is None
        assert pod.next_message(timeout=0.01) is None
        pod.heartbeat()
        assert self.rt.types_until("heartbeat") == ["recv", "heartbeat"]
        self.rt.send("message", seq=14, priority="high", key="plan",
                     data=b"caf\xc3\xa9", preempted=[])
        msg = pod.next_message(timeout=WAIT)
        assert msg == podvisor.Message(14, "high", "plan", "café", ())
        assert pod.next_message(timeout=0) is None
        self.rt.send("message", seq=15, priority="low", data=b"\xff\x00")
        msg = pod.next_message(timeout=WAIT)
        assert (msg.data, msg.key) == (b"\xff\x00", None)
        self.rt.send("message", seq=16)
        assert pod.next_message(timeout=WAIT).data == ""

    def test_cancel_ends_the_wait_without_raising(self):
        pod = self.opened()
        later = Responder(lambda: (
            self.rt.recv_until("recv"),
            self.rt.send("cancel", reason="user", deadline=ns(time.time()))))
        assert pod.next_message(timeout=None) is None
        later.finish()
        with pytest.raises(podvisor.Stopped):
            pod.check()
        assert pod.next_message(timeout=None) is None

    def test_iterator(self):
        pod = self.opened()

        def runtime():
            for seq in (1, 2, 3):
                self.rt.recv_until("recv")
                self.rt.send("message", seq=seq, data=b"m%d" % seq)
        responder = Responder(runtime)
        got = [m.data for m in pod.messages(timeout=NEXT_MESSAGE)]
        responder.finish()
        assert got == ["m1", "m2", "m3"]
        self.rt.send("message", seq=4, data=b"m4")
        self.rt.send("cancel", reason="user", deadline=ns(time.time()))
        with pytest.raises(podvisor.Stopped):
            for msg in pod:
                assert msg.seq == 4

    def test_preempting_message_interrupts_check(self):
        pod = self.opened()
        assert pod.next_message(timeout=0) is None
        self.rt.send("message", seq=30, priority="critical",
                     data=b"stop and listen", preempted=[8, 9])
        with pytest.raises(podvisor.Interrupted) as cm:
            pod.check()
        assert cm.value.message.preempted == (8, 9)
        assert cm.value.message.data == "stop and listen"
        pod.check()                             # reported once

    def test_critical_interrupts_only_with_the_interrupt_handle(self):
        self.rt.handshake()
        pod = self.attach(handles=("cancel", "notify", "interrupt"))
        assert self.rt.recv()["handles"] == ["cancel", "notify", "interrupt"]
        assert pod.next_message(timeout=0) is None
        self.rt.send("message", seq=31, priority="critical", data=b"now")
        with pytest.raises(podvisor.Interrupted) as cm:
            pod.sleep(WAIT * 4)
        assert (cm.value.message.seq, cm.value.message.preempted) == (31, ())
        pod.check()                             # reported once
        self.rt.send("message", seq=32, priority="high", data=b"later")
        msg = pod.next_message(timeout=WAIT)
        assert (msg.seq, msg.priority) == (32, "high")

    def test_critical_is_a_message_without_the_handle(self):
        pod = self.opened()
        assert pod.next_message(timeout=0) is None
        self.rt.send("message", seq=33, priority="critical", data=b"now")
        assert pod.next_message(timeout=WAIT).seq == 33
        pod.check()

    def test_child_events(self):
        pod = self.opened()
        assert pod.next_child_event(timeout=0.01) is None
        self.rt.send("child", id=21, name="w1", event="spawned",
                     state="starting")
        self.rt.send("child", id=21, name="w1", event="ended",
                     state="succeeded", exit_code=0, signal=None,
                     reason=None, result=b'{"pages": 3}')
        self.rt.send("child", id=22, event="ended", state="stopped",
                     exit_code=None, signal=2, reason="preempted")
        first = pod.next_child_event(timeout=WAIT)
        assert (first.id, first.event, first.state, first.result) == \
            (21, "spawned", "starting", None)
        second = pod.next_child_event(timeout=WAIT)
        assert (second.exit_code, second.result) == (0, {"pages": 3})
        third = pod.next_child_event(timeout=WAIT)
        assert (third.name, third.signal, third.reason) == \
            (None, 2, "preempted")
        # A cancel does not end this wait: the parent still collects ends.
        self.rt.send("cancel", reason="user", deadline=ns(time.time()))
        assert pod.next_child_event(timeout=0.05) is None


class TestPause(Base):
    def test_check_confirms_and_blocks_until_resume(self):
        pod = self.opened()
        resumed = threading.Event()

        def runtime():
            assert self.rt.types_until("paused") == ["paused"]
            resumed.set()
            self.rt.send("resume")
        self.rt.send("pause")
        responder = Responder(runtime)
        pod.check()
        responder.finish()
        assert resumed.is_set()
        pod.check()
        pod.heartbeat()
        assert self.rt.types_until("heartbeat") == ["heartbeat"]

    def test_pause_ends_waits_and_cancel_ends_pause(self):
        pod = self.opened()
        self.rt.send("pause")
        assert pod.next_message(timeout=None) is None
        assert pod.next_child_event(timeout=None) is None
        self.rt.send("cancel", reason="user", deadline=ns(time.time()))
        with pytest.raises(podvisor.Stopped):
            pod.check()

    def test_pause_ignored_when_not_handled(self):
        self.rt.handshake()
        pod = self.attach(handles=("cancel",))
        self.rt.send("pause")
        pod.check()                             # does not block
        pod.heartbeat()
        assert self.rt.types_until("heartbeat") == ["hello", "heartbeat"]


class TestBadInput(Base):
    def assert_rejected(self, pod, pattern):
        with pytest.raises(podvisor.ProtocolError, match=pattern):
            pod.check()
        err = self.rt.recv_until("error")[-1]
        assert err["code"] == "protocol"
        assert self.rt.recv() is None
        # Every later call fails the same way, and none waits.
        with pytest.raises(podvisor.ProtocolError):
            pod.check()
        with pytest.raises(podvisor.ProtocolError):
            pod.next_message(timeout=None)
        with pytest.raises(podvisor.ProtocolError):
            pod.heartbeat()
        assert pod.closed

    def test_oversized_frame_refused_from_its_header(self):
        pod = self.opened()
        self.rt.send_raw(struct.pack(">I", 2 * 1024 * 1024))
        self.assert_rejected(pod, "over the 1048576-byte limit")

    def test_garbage(self):
        pod = self.opened()
        self.rt.send_raw(struct.pack(">I", 3) + b"\xc1\xc1\xc1")
        self.assert_rejected(pod, "malformed")

    def test_not_a_map_and_trailing_bytes(self):
        pod = self.opened()
        payload = msgpack.packb({"type": "resume"}) + b"\x00"
        self.rt.send_raw(struct.pack(">I", len(payload)) + payload)
        self.assert_rejected(pod, "trailing")

    def test_repeated_key(self):
        pod = self.opened()
        payload = b"\x82\xa4type\xa6resume\xa4type\xa5pause"
        self.rt.send_raw(struct.pack(">I", len(payload)) + payload)
        self.assert_rejected(pod, "twice")

    def test_unknown_type(self):
        pod = self.opened()
        self.rt.send("teleport")
        self.assert_rejected(pod, "teleport")

    def test_ill_typed_field(self):
        pod = self.opened()
        self.rt.send("cancel", reason=5)
        self.assert_rejected(pod, "reason")

    def test_missing_field(self):
        pod = self.opened()
        self.rt.send("message", data=b"no seq")
        self.assert_rejected(pod, "seq")

    def test_closed_channel(self):
        pod = self.opened()
        self.rt.close()
        with pytest.raises(podvisor.ConnectionFailed, match="closed"):
            pod.check()
        with pytest.raises(podvisor.ConnectionFailed):
            pod.next_message(timeout=None)
        with pytest.raises(podvisor.ConnectionFailed):
            pod.wait_cancel(timeout=None)
        with pytest.raises(podvisor.ConnectionFailed):
            pod.log("x")


class TestSleepAndClose(Base):
    def test_sleep_returns_after_its_time(self):
        pod = self.opened()
        start = time.monotonic()
        pod.sleep(0.05)
        assert time.monotonic() - start >= 0.05

    def test_sleep_raises_stopped_as_soon_as_cancelled(self):
        pod = self.opened()
        later = Responder(lambda: self.rt.send(
            "cancel", reason="user", deadline=ns(time.time() + 5)))
        with pytest.raises(podvisor.Stopped):
            pod.sleep(WAIT * 4)         # the watchdog ends it if it hangs
        later.finish()
        assert self.rt.recv()["type"] == "ack"

    def test_sleep_raises_interrupted_for_a_preempting_message(self):
        pod = self.opened()
        assert pod.next_message(timeout=0) is None
        self.rt.send("message", seq=5, priority="critical", data=b"now",
                     preempted=[11])
        with pytest.raises(podvisor.Interrupted) as cm:
            pod.sleep(WAIT * 4)
        assert cm.value.message.preempted == (11,)

    def test_context_manager_closes(self):
        self.rt.handshake()
        with podvisor.attach() as pod:
            assert not pod.closed
            assert repr(pod) == "<podvisor.Pod id=7 name='agent'>"
        assert pod.closed
        assert self.rt.recv()["type"] == "hello"
        assert self.rt.recv() is None   # the channel is closed
        with pytest.raises(podvisor.ConnectionFailed):
            pod.check()
        with pytest.raises(podvisor.NotInPod):
            podvisor.attach()           # closed: not handed out again


class TestSpawn(Base):
    def test_spawn_a_child_through_the_control_socket(self):
        pod = self.opened(id=7)
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        path = os.path.join(tmp.name, "ctl.sock")
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(path)
        server.listen(1)
        server.settimeout(WAIT)
        self.addCleanup(server.close)
        os.environ["PODVISOR_SOCKET"] = path
        self.addCleanup(os.environ.pop, "PODVISOR_SOCKET", None)
        got = []

        def daemon():
            conn, _ = server.accept()
            with conn:
                peer = FakeRuntime.__new__(FakeRuntime)
                peer.sock, peer.buf = conn, b""
                peer.send("hello", version=5)
                got.append(peer.recv())
                got.append(peer.recv())
                peer.send("ok", id=42)
        responder = Responder(daemon)
        assert pod.spawn(["sleep", "1"], name="kid", env={"A": "1"},
                         timeout=2.5) == 42
        responder.finish()
        hello, spawn = got
        assert hello == {"type": "hello", "version": 5}
        assert spawn["parent"] == "7"
        assert spawn["argv"] == ["sleep", "1"]
        assert (spawn["name"], spawn["env"], spawn["timeout_ms"]) == \
            ("kid", ["A=1"], 2500)
        assert spawn["cwd"] == os.getcwd()


class TestSubprocess(Base):
    """A real workload process, as a pod runtime would start it."""

    WORKLOAD = textwrap.dedent("""
        import os, subprocess, sys, podvisor
        pod = podvisor.attach()
        probe = ("import os; print(os.environ.get('PODVISOR_API_FD'),"
                 " os.path.exists('/proc/self/fd/%s'))" % sys.argv[1])
        seen = subprocess.run([sys.executable, "-c", probe], close_fds=False,
                              capture_output=True, text=True).stdout
        pod.log(seen.strip())
        try:
            while True:
                pod.check()
                pod.wait_cancel(timeout=1)
        except podvisor.Stopped as e:
            pod.set_result({"reason": e.reason})
    """)

    def test_workload_process(self):
        fd = 50
        os.dup2(self.rt.fd, fd)
        os.close(self.rt.fd)
        env = dict(os.environ, PODVISOR_API_FD=str(fd),
                   PYTHONPATH=os.pathsep.join(sys.path))
        proc = subprocess.Popen([sys.executable, "-c", self.WORKLOAD,
                                 str(fd)], env=env, pass_fds=[fd])
        os.close(fd)
        self.addCleanup(proc.kill)
        self.rt.handshake()
        hello = self.rt.recv()
        assert hello["pid"] == proc.pid
        log = self.rt.recv()
        # Neither the variable nor the descriptor reached the grandchild.
        assert log["message"] == b"None False"
        self.rt.send("cancel", reason="user", deadline=ns(time.time() + 9))
        assert self.rt.types_until("result") == ["ack", "result"]
        self.rt.send("ok")
        assert proc.wait(WAIT) == 0


class TestAsync(Base):
    async def opened(self, **kw):
        self.rt.handshake()
        pod = await podvisor.aio.attach(**kw)
        self.pods.append(pod)
        assert self.rt.recv()["type"] == "hello"
        return pod

    async def test_not_in_pod(self):
        os.environ.pop(ENV)
        with pytest.raises(podvisor.NotInPod):
            await podvisor.aio.attach()

    async def test_attach_and_welcome(self):
        pod = await self.opened()
        assert (pod.id, pod.name, pod.parent) == (7, "agent", 3)
        assert ENV not in os.environ
        assert not os.get_inheritable(self.rt.fd)
        assert await podvisor.aio.attach() is pod

    async def test_cancel_while_awaiting_something_else(self):
        pod = await self.opened()
        release = asyncio.Event()

        async def llm_call():
            await release.wait()
            return "answer"
        work = asyncio.create_task(llm_call())
        await pod.check()
        self.rt.send("cancel", reason="user", requested_by="user alice",
                     deadline=ns(time.time() + 9))
        # The loop reads the cancel by itself, without acknowledging it.
        assert await pod.next_child_event(timeout=0.05) is None
        await pod.heartbeat()
        assert await asyncio.to_thread(
            self.rt.types_until, "heartbeat") == ["heartbeat"]
        assert await pod.wait_cancel(timeout=WAIT)
        release.set()
        assert await work == "answer"
        for _ in range(2):
            with pytest.raises(podvisor.Stopped) as cm:
                await pod.check()
        assert cm.value.requested_by == "user alice"
        assert pod.cancelled
        await pod.heartbeat()
        assert await asyncio.to_thread(
            self.rt.types_until, "heartbeat") == ["ack", "heartbeat"]

    async def test_wait_cancel_times_out(self):
        pod = await self.opened()
        assert not await pod.wait_cancel(timeout=0.05)
        assert not pod.cancelled

    async def test_messages_and_async_iterator(self):
        pod = await self.opened()
        assert await pod.next_message(timeout=0) is None
        assert self.rt.recv()["type"] == "recv"
        self.rt.send("message", seq=3, data=b"hi")
        msg = await pod.next_message(timeout=WAIT)
        assert (msg.seq, msg.data) == (3, "hi")

        async def runtime():
            for seq in (4, 5):
                await asyncio.to_thread(self.rt.recv_until, "recv")
                self.rt.send("message", seq=seq, data=bytes([seq, 255]))
        responder = asyncio.create_task(runtime())
        got = [m.data async for m in pod.messages(timeout=NEXT_MESSAGE)]
        await responder
        assert got == [b"\x04\xff", b"\x05\xff"]
        self.rt.send("cancel", reason="user", deadline=ns(time.time()))
        with pytest.raises(podvisor.Stopped):
            async for _ in pod:
                pass

    async def test_requests(self):
        pod = await self.opened()
        self.rt.send("extended", deadline=ns(5e9))
        assert await pod.extend(1, why="x") == 5e9
        self.rt.send("error", code="refused", message="no")
        with pytest.raises(podvisor.Refused):
            await pod.extend(1)
        self.rt.send("ok")
        await pod.set_result([1, "two"])
        with pytest.raises(ValueError):
            await pod.set_result("x" * 70000)
        await pod.log("hello", step=1)
        await pod.set_status("busy", 0.5)
        types = await asyncio.to_thread(self.rt.types_until, "report")
        assert types == ["extend", "extend", "result", "log", "report"]

    async def test_concurrent_requests_are_answered_in_order(self):
        pod = await self.opened()
        both = asyncio.gather(pod.extend(2, why="a"), pod.set_result("r"))
        types = await asyncio.to_thread(self.rt.types_until, "result")
        assert types == ["extend", "result"]
        self.rt.send("child", id=4, event="spawned", state="running")
        self.rt.send("extended", deadline=ns(6e9))
        self.rt.send("ok")
        deadline, result = await asyncio.wait_for(both, WAIT)
        assert (deadline, result) == (6e9, None)
        assert (await pod.next_child_event(0)).id == 4

    async def test_pause(self):
        pod = await self.opened()
        self.rt.send("pause")

        async def runtime():
            types = await asyncio.to_thread(self.rt.types_until, "paused")
            assert types == ["paused"], types
            self.rt.send("resume")
        responder = asyncio.create_task(runtime())
        await asyncio.wait_for(pod.check(), WAIT)
        await responder

    async def test_bad_frame_and_close(self):
        pod = await self.opened()
        self.rt.send_raw(struct.pack(">I", 5 * 1024 * 1024))
        with pytest.raises(podvisor.ProtocolError):
            await pod.next_message(timeout=WAIT)
        with pytest.raises(podvisor.ProtocolError):
            await pod.check()
        assert pod.closed

    async def test_closed_channel(self):
        pod = await self.opened()
        self.rt.close()
        with pytest.raises(podvisor.ConnectionFailed):
            await pod.wait_cancel(timeout=None)

    async def test_sleep(self):
        pod = await self.opened()
        await pod.sleep(0.01)
        self.rt.send("cancel", reason="user", deadline=ns(time.time() + 5))
        with pytest.raises(podvisor.Stopped):
            await pod.sleep(WAIT * 4)

    async def test_sleep_interrupted(self):
        pod = await self.opened()
        assert await pod.next_message(timeout=0) is None
        self.rt.send("message", seq=6, priority="critical", data=b"now",
                     preempted=[12])
        with pytest.raises(podvisor.Interrupted) as cm:
            await pod.sleep(WAIT * 4)
        assert cm.value.message.seq == 6

    async def test_context_manager_and_properties(self):
        self.rt.handshake(deadline=ns(3e9))
        async with await podvisor.aio.attach() as pod:
            assert repr(pod) == "<podvisor.aio.AsyncPod id=7 name='agent'>"
            assert (pod.deadline, pod.cancel, pod.cancelled) == \
                (3e9, None, False)
            assert not pod.closed
        assert pod.closed
        with pytest.raises(podvisor.ConnectionFailed):
            await pod.heartbeat()


class TestAsyncCheapCheck(Base):
    """The asyncio form: the loop reads input as it arrives (add_reader),
    whatever the window; check() alone reads at most every QUIET_NS."""

    @pytest.fixture(autouse=True)
    def clock(self, runtime, monkeypatch):
        self.clock = FakeClock()
        for where in ("podvisor.aio._monotonic_ns",
                      "podvisor._pod._monotonic_ns"):
            monkeypatch.setattr(where, self.clock)

    async def test_the_loop_delivers_a_cancel_within_the_window(self):
        self.rt.handshake()
        pod = await podvisor.aio.attach()
        self.pods.append(pod)
        await pod.check()
        self.rt.send("cancel", reason="user", deadline=ns(time.time() + 9))
        deadline = time.monotonic() + WAIT
        with pytest.raises(podvisor.Stopped):
            while time.monotonic() < deadline:
                await pod.check()       # the clock never moves
                await asyncio.sleep(0.01)

    async def test_a_loop_that_never_yields_reads_once_the_window_ends(self):
        self.rt.handshake()
        pod = await podvisor.aio.attach()
        self.pods.append(pod)
        pod._sock = CountingSocket(pod._sock)
        await pod.check()
        reads = pod._sock.recvs
        for _ in range(1000):
            await pod.check()
        assert pod._sock.recvs == reads
        # As if the loop never ran its reader: only check() reads.
        pod._loop.remove_reader(pod._fd)
        self.rt.send("cancel", reason="user", deadline=ns(time.time() + 9))
        await pod.check()               # within the window: not read yet
        assert pod._sock.recvs == reads
        self.clock.now += podvisor._pod.QUIET_NS
        with pytest.raises(podvisor.Stopped):
            await pod.check()
        assert pod._sock.recvs > reads


class TestHelpers:
    def test_default_socket(self):
        env = {"PODVISOR_SOCKET": "", "XDG_RUNTIME_DIR": "/run/user/1000"}
        with mock.patch.dict(os.environ, env), \
                mock.patch("os.geteuid", return_value=1000):
            assert podvisor.default_socket() == \
                "/run/user/1000/podvisor/podvisor.sock"
            os.environ["XDG_RUNTIME_DIR"] = "relative"
            assert podvisor.default_socket() == \
                "/tmp/podvisor-1000/podvisor.sock"
            os.environ["PODVISOR_SOCKET"] = "/x/p.sock"
            assert podvisor.default_socket() == "/x/p.sock"
            assert podvisor.Client().socket == "/x/p.sock"
        with mock.patch.dict(os.environ, {"PODVISOR_SOCKET": ""}), \
                mock.patch("os.geteuid", return_value=0):
            assert podvisor.default_socket() == "/run/podvisor/podvisor.sock"

    def test_spawn_request(self):
        from podvisor import _client
        with mock.patch.dict(os.environ, {"PODVISOR_POD": "5", "K": "v"}):
            msg = _client.spawn_request(["true"], cwd="sub", env=["A=1"],
                                        inherit_env=True,
                                        limits={"nofile": 64},
                                        cancel_grace=1.5, stop_signal="TERM")
        assert msg["parent"] == "5"
        assert msg["cwd"] == os.path.join(os.getcwd(), "sub")
        assert "K=v" in msg["env"]
        assert msg["env"][-1] == "A=1"
        assert (msg["limit_nofile"], msg["cancel_grace_ms"],
                msg["stop_signal"]) == (64, 1500, 15)
        for bad in ({"env": ["noequals"]}, {"limits": {"fds": 1}},
                    {"term_grace": -1}):
            with pytest.raises(ValueError):
                _client.spawn_request(["true"], **bad)

    def test_signals_and_times_as_podctl_shows_them(self):
        from podvisor import _client, _wire
        for given in (2, "INT", "SIGINT", "sigint", "2"):
            assert _client.parse_signal(given) == 2
        assert _client.parse_signal("rtmin+2") == 36
        for bad in (0, 65, "NOPE", "", True):
            with pytest.raises((ValueError, TypeError)):
                _client.parse_signal(bad)
        assert [_client.signal_name(n) for n in
                (2, 6, 9, 29, 34, 35, 64, 32, 0, None)] == \
            ["SIGINT", "SIGABRT", "SIGKILL", "SIGIO", "SIGRTMIN",
             "SIGRTMIN+1", "SIGRTMIN+30", "32", None, None]
        assert _wire.ns_to_rfc3339(1_700_000_000_123_456_789) == \
            "2023-11-14T22:13:20.123456Z"
        assert _wire.ns_to_rfc3339(None) is None


class TestDocs:
    def test_public_names_have_examples_and_hints(self):
        import inspect
        for module in (podvisor, podvisor.aio):
            for name in module.__all__:
                obj = getattr(module, name)
                if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                    continue
                assert "Example::" in obj.__doc__ or "", name
                members = vars(obj).items() if inspect.isclass(obj) else ()
                for attr, member in members:
                    if attr.startswith("_") or not callable(
                            getattr(member, "fget", member)):
                        continue
                    fn = getattr(member, "fget", member)
                    assert "Example::" in fn.__doc__ or "", f"{name}.{attr}"
                    assert "return" in fn.__annotations__, f"{name}.{attr}"

