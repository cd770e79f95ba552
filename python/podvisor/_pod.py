"""The pod API: a workload's own channel to its pod runtime.

attach() opens it and returns a Pod.  Everything the runtime sends is read
by one frame reader (_Core.feed) and dispatched into state and queues, so
whichever call happens to read sees a cancel, a message, a child event or
a reply alike.  Nothing is ever raised from under the program: a cancel is
only reported when the program asks (check(), cancelled, wait_cancel()).

_Core holds that state and does no I/O; Pod here and aio.AsyncPod drive
it, the one with poll(2), the other with the asyncio event loop.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import os
import select
import socket
import time
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence, TypeVar

from . import _wire
from .errors import (ConnectionFailed, Interrupted, NotInPod, PodvisorError,
                     ProtocolError, Stopped, error_for_code)

if TYPE_CHECKING:
    from ._client import Client

__all__ = ["attach", "Pod", "Cancel", "Message", "ChildEvent", "HANDLES",
           "LEVELS"]

HANDLES = ("cancel", "notify", "pause")     # what attach() handles by default
# Also "interrupt": critical (and preempting) messages are pushed at once
# and check() raises Interrupted for them -- the "interrupt now" case.
KNOWN_HANDLES = HANDLES + ("interrupt",)
LEVELS = ("debug", "info", "warning", "error")
ENV_FD = "PODVISOR_API_FD"
PAYLOAD_MAX = 64 * 1024         # log messages and results, in bytes
HELLO_TIMEOUT = 5.0             # for the runtime's hello and welcome
REPLY_TIMEOUT = 10.0            # for the answer to extend or result
SEND_TIMEOUT = 10.0             # for a frame to be taken by the runtime
_CHUNK = 65536
# How long check() trusts its last read of the channel when nothing was
# pending: within it a check() is one clock read (vDSO, no system call);
# after it, one non-blocking recv().  It bounds what the rate limit adds to
# a cancel's delivery (250 us) and keeps the reads to one in every ~2000
# calls of a tight loop.  Input read by any other call ends it at once.
QUIET_NS = 250_000
_monotonic_ns = time.monotonic_ns


@dataclasses.dataclass(frozen=True)
class Cancel:
    """A cancel of this pod: ``reason``, ``requested_by``, ``deadline``.

    ``deadline`` is the time.time() at which SIGTERM comes (moved by a
    granted extend), or None if the runtime gave none.

    Example::

        if pod.cancel is not None:
            print(pod.cancel.reason, pod.cancel.deadline - time.time())
    """

    reason: str
    requested_by: str
    deadline: float | None


@dataclasses.dataclass(frozen=True)
class Message:
    """A notify message sent with ``podctl send`` (or Client.send()).

    ``data`` is a str when the bytes sent are UTF-8, else bytes; ``seq`` is
    its log sequence number; ``preempted`` lists the child pods stopped by a
    ``--preempt`` send (empty otherwise).

    Example::

        msg = pod.next_message()
        if msg is not None: print(msg.priority, msg.data)
    """

    seq: int
    priority: str
    key: str | None
    data: str | bytes
    preempted: tuple[int, ...] = ()


@dataclasses.dataclass(frozen=True)
class ChildEvent:
    """A child pod of this pod was ``spawned`` or has ``ended``.

    ``state`` is the child's state name (its final one for ``ended``);
    ``result`` the JSON value it set, parsed, or None.

    Example::

        ev = pod.next_child_event(timeout=60)
        if ev and ev.event == "ended": print(ev.id, ev.state, ev.result)
    """

    id: int
    name: str | None
    event: str
    state: str
    exit_code: int | None = None
    signal: int | None = None
    reason: str | None = None
    result: Any = None


class _Reply:
    """A request waiting for its answer (replies come back in order)."""

    __slots__ = ("kind", "done", "value", "error")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.done = False
        self.value: Any = None
        self.error: PodvisorError | None = None


def _data(raw: bytes) -> str | bytes:
    """Message data: str when it is UTF-8, else the bytes."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw


class _Core:
    """The API channel's state, fed with the bytes read from it.

    Frames to send are appended to ``out``; the driver writes them, and
    closes the socket once ``out`` is empty if ``closing`` is set.
    """

    def __init__(self, handles: tuple[str, ...]) -> None:
        self.handles = handles
        self.reader = _wire.FrameReader()
        self.out = bytearray()
        self.phase = "hello"            # then "welcome", then "open"
        self.id = 0
        self.name: str | None = None
        self.parent: int | None = None
        self.deadline: float | None = None
        self.cancel: Cancel | None = None
        self.acked = False
        self.pause_requested = False
        self.paused_sent = False
        self.recv_outstanding = False
        self.messages: collections.deque[Message] = collections.deque()
        self.children: collections.deque[ChildEvent] = collections.deque()
        self.pending: collections.deque[_Reply] = collections.deque()
        self.broken: tuple[type[PodvisorError], str] | None = None
        self.closing = False
        # Until this time.monotonic_ns(), check() may return at once: the
        # channel was read and nothing was pending.  Input and failure end
        # it (feed, fail).
        self.quiet_until = 0

    # Input.

    def feed(self, data: bytes) -> None:
        """Dispatch every frame the bytes complete."""
        self.quiet_until = 0
        if self.broken is not None:
            return
        self.reader.feed(data)
        try:
            while self.broken is None:
                msg = self.reader.take()
                if msg is None:
                    break
                self._dispatch(msg)
        except ProtocolError as e:
            self.reject(str(e))
        except ConnectionFailed as e:
            self.fail(ConnectionFailed, str(e))

    def lost(self, why: str = "") -> None:
        """The channel closed under us."""
        if self.broken is None:
            text = "the pod runtime closed the API channel"
            if self.phase != "open":
                text += " before its welcome"
            self.fail(ConnectionFailed, text + (f": {why}" if why else ""))

    def reject(self, text: str) -> None:
        """Bad input: tell the runtime, then close the channel."""
        self.queue(_wire.protocol_error(text))
        self.fail(ProtocolError, f"bad message from the pod runtime: {text}")

    def fail(self, cls: type[PodvisorError], text: str) -> None:
        """Mark the channel unusable: every later call raises cls(text)."""
        self.broken = (cls, text)
        self.closing = True
        self.quiet_until = 0
        for reply in self.pending:
            reply.done, reply.error = True, cls(text)
        self.pending.clear()

    def _dispatch(self, msg: dict[str, Any]) -> None:
        kind = msg["type"]
        if self.phase == "hello":
            _wire.check_hello(msg, "the pod runtime")
            self.phase = "welcome"
        elif kind == "hello":
            pass                        # a later hello is ignored
        elif kind == "error":
            self._on_error(msg)
        elif self.phase == "welcome":
            if kind != "welcome":
                raise ProtocolError(f"expected welcome, got '{kind}'")
            self._on_welcome(msg)
        else:
            handler = self._HANDLERS.get(kind)
            if handler is None:
                raise ProtocolError(f"unexpected message '{kind}'")
            handler(self, msg)

    def _on_welcome(self, msg: dict[str, Any]) -> None:
        self.id = _wire.get_uint(msg, "id", required=True)
        self.name = _wire.get_str(msg, "name")
        self.parent = _wire.get_int(msg, "parent")
        self.deadline = _wire.ns_to_seconds(_wire.get_int(msg, "deadline"))
        self.phase = "open"

    def _on_cancel(self, msg: dict[str, Any]) -> None:
        reason = _wire.need(msg, "reason")
        by = _wire.get_str(msg, "requested_by") or ""
        deadline = _wire.ns_to_seconds(_wire.get_int(msg, "deadline"))
        if self.cancel is None:         # sent once; keep the first
            self.cancel = Cancel(reason, by, deadline)
            if deadline is not None:
                self.deadline = deadline

    def _on_extended(self, msg: dict[str, Any]) -> None:
        deadline = _wire.ns_to_seconds(
            _wire.get_int(msg, "deadline", required=True))
        if deadline is None:
            raise ProtocolError("'extended' message: field 'deadline' is"
                                " none")
        self._reply("extend", "extended").value = deadline
        self.deadline = deadline
        if self.cancel is not None:
            self.cancel = dataclasses.replace(self.cancel, deadline=deadline)

    def _on_ok(self, msg: dict[str, Any]) -> None:
        self._reply("result", "ok")

    def _on_error(self, msg: dict[str, Any]) -> None:
        code = _wire.need(msg, "code")
        text = _wire.need(msg, "message")
        if code == "protocol" or self.phase != "open":
            self.fail(ProtocolError if code == "protocol" else
                      ConnectionFailed, f"the pod runtime closed the API"
                      f" channel: {text}")
        elif not self.pending:
            self.fail(ProtocolError, f"unexpected error from the pod"
                      f" runtime: {code}: {text}")
        else:
            reply = self.pending.popleft()
            reply.done, reply.error = True, error_for_code(code, text)

    def _reply(self, kind: str, got: str) -> _Reply:
        """Complete the oldest pending request, which must be of kind."""
        if not self.pending:
            raise ProtocolError(f"'{got}' answers no pending request")
        if self.pending[0].kind != kind:
            raise ProtocolError(f"'{got}' does not answer the pending"
                                f" {self.pending[0].kind} request")
        reply = self.pending.popleft()
        reply.done = True
        return reply

    def _on_message(self, msg: dict[str, Any]) -> None:
        raw = _wire.get_bin(msg, "data") or b""
        self.messages.append(Message(
            seq=_wire.get_uint(msg, "seq", required=True),
            priority=_wire.get_str(msg, "priority") or "normal",
            key=_wire.get_str(msg, "key"),
            data=_data(raw),
            preempted=tuple(_wire.get_uintv(msg, "preempted"))))
        self.recv_outstanding = False

    def _on_child(self, msg: dict[str, Any]) -> None:
        raw = _wire.get_bin(msg, "result")
        try:
            result = None if raw is None else json.loads(raw)
        except ValueError:
            raise ProtocolError("'child' message: field 'result' is not"
                                " JSON text") from None
        self.children.append(ChildEvent(
            id=_wire.get_uint(msg, "id", required=True),
            name=_wire.get_str(msg, "name"),
            event=_wire.need(msg, "event"),
            state=_wire.need(msg, "state"),
            exit_code=_wire.get_int(msg, "exit_code"),
            signal=_wire.get_int(msg, "signal"),
            reason=_wire.get_str(msg, "reason"),
            result=result))

    def _on_pause(self, msg: dict[str, Any]) -> None:
        if "pause" in self.handles:
            self.pause_requested = True

    def _on_resume(self, msg: dict[str, Any]) -> None:
        self.pause_requested = self.paused_sent = False

    _HANDLERS: dict[str, Callable[[_Core, dict[str, Any]], None]] = {
        "cancel": _on_cancel,
        "extended": _on_extended,
        "ok": _on_ok,
        "message": _on_message,
        "child": _on_child,
        "pause": _on_pause,
        "resume": _on_resume,
    }

    # Output and the calls' shared logic.

    def queue(self, msg: dict[str, Any]) -> None:
        """Queue a frame for the driver to write."""
        self.out += _wire.encode(msg)

    def raise_broken(self) -> None:
        """Raise the channel's failure, if it has failed."""
        if self.broken is not None:
            cls, text = self.broken
            raise cls(text)

    def observe(self) -> Cancel | None:
        """The program looked at the cancel: acknowledge it the first time."""
        if self.cancel is not None and not self.acked:
            self.acked = True
            if self.broken is None:
                self.queue({"type": "ack"})
        return self.cancel

    def boundary(self) -> bool:
        """check()'s logic: raise what a step boundary reports; True while
        paused (the driver then waits for input and calls again)."""
        cancel = self.observe()
        if cancel is not None:
            raise Stopped(cancel.reason, cancel.requested_by, cancel.deadline)
        for i, msg in enumerate(self.messages):
            if self.interrupting(msg):
                del self.messages[i]
                raise Interrupted(msg)
        self.raise_broken()
        if not self.pause_requested:
            self.settle()
            return False
        if not self.paused_sent:
            self.paused_sent = True
            self.queue({"type": "paused"})
        return True

    def quiet(self) -> bool:
        """Is nothing pending that check() would report or act on?"""
        return self.cancel is None and self.broken is None and \
            not self.pause_requested and not self.interrupted()

    def settle(self) -> None:
        """The channel was just read and nothing is pending: check() may
        skip reading it for QUIET_NS."""
        self.quiet_until = _monotonic_ns() + QUIET_NS

    def interrupting(self, msg: Message) -> bool:
        """Is this a message check() raises Interrupted for?  A --preempt
        one always; a critical one when the pod handles "interrupt"."""
        return bool(msg.preempted) or (
            "interrupt" in self.handles and msg.priority == "critical")

    def interrupted(self) -> bool:
        """Is a message waiting that check() would raise Interrupted for?"""
        return any(self.interrupting(m) for m in self.messages)

    def request(self, kind: str, msg: dict[str, Any]) -> _Reply:
        """Send a request that gets an answer."""
        self.raise_broken()
        reply = _Reply(kind)
        self.queue(msg)
        self.pending.append(reply)
        return reply

    def want_message(self) -> None:
        """Ask for the next message unless a request is already out."""
        if "notify" not in self.handles:
            raise PodvisorError("this pod was attached without 'notify' in"
                                " handles, so it gets no messages")
        self.raise_broken()
        if not self.recv_outstanding:
            self.recv_outstanding = True
            self.queue({"type": "recv"})

    def message_wait_over(self) -> bool:
        """next_message()'s condition: a message, or a reason to go to
        check() (a cancel, or a pause to confirm)."""
        return bool(self.messages) or self.cancel is not None or \
            self.pause_requested

    def child_wait_over(self) -> bool:
        """next_child_event()'s condition: an event, or a pause to confirm."""
        return bool(self.children) or self.pause_requested


# Building the requests: shared by Pod and AsyncPod, checked before sending.

def _extend_msg(seconds: float, why: str) -> dict[str, Any]:
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError("extend() takes a number of seconds")
    if not seconds > 0:
        raise ValueError("extend() needs a positive number of seconds")
    _wire.need_str("why", why)
    return {"type": "extend", "ms": max(1, round(seconds * 1000)),
            "why": why or None}


def _log_msg(message: str | bytes, level: str,
             fields: dict[str, Any]) -> dict[str, Any]:
    if level not in LEVELS:
        raise ValueError(f"log level must be one of {', '.join(LEVELS)},"
                         f" not {level!r}")
    raw = message.encode("utf-8") if isinstance(message, str) else message
    if not isinstance(raw, bytes):
        raise TypeError("a log message is a str or bytes")
    if len(raw) > PAYLOAD_MAX:
        raise ValueError(f"a log message is at most {PAYLOAD_MAX} bytes")
    text = json.dumps(fields, default=str, ensure_ascii=False) \
        if fields else None
    return {"type": "log", "level": level, "message": raw,
            "fields": text.encode("utf-8") if text is not None else None}


def _report_msg(text: str, progress: float | None) -> dict[str, Any]:
    _wire.need_str("status text", text)
    if progress is not None:
        if isinstance(progress, bool) or \
                not isinstance(progress, (int, float)):
            raise TypeError("progress is a number from 0 to 1, or None")
        if not 0 <= progress <= 1:
            raise ValueError("progress must be from 0 to 1")
        progress = float(progress)
    # No progress (absent, the same as nil) clears an earlier one.
    return {"type": "report", "text": text, "progress": progress}


def _result_msg(value: Any) -> dict[str, Any]:
    text = json.dumps(value, allow_nan=False, ensure_ascii=False,
                      separators=(",", ":"))
    raw = text.encode("utf-8")
    if len(raw) > PAYLOAD_MAX:
        raise ValueError(f"the result is {len(raw)} bytes of JSON; at most"
                         f" {PAYLOAD_MAX} are kept")
    return {"type": "result", "data": raw}


# Opening the channel, and remembering the pod this process opened.

_opened: dict[str, Any] = {"pid": None, "pod": None}
_P = TypeVar("_P")


def _reuse(kind: type[_P]) -> _P:
    """The pod this process attached already, or NotInPod."""
    pod = _opened["pod"] if _opened["pid"] == os.getpid() else None
    if pod is None:
        raise NotInPod(f"not in a pod: {ENV_FD} is not set (run this"
                       " program with podctl spawn)")
    if pod.closed or not isinstance(pod, kind):
        raise NotInPod("the pod API of this process is already opened by"
                       f" another {type(pod).__name__} (or was closed)")
    return pod


def _remember(pod: Any) -> None:
    _opened["pid"], _opened["pod"] = os.getpid(), pod


def _open_api(handles: Sequence[str]) -> tuple[socket.socket, _Core]:
    """Take the descriptor named by PODVISOR_API_FD, close-on-exec and out
    of the environment, and queue our hello on it."""
    if isinstance(handles, str):
        raise TypeError("handles is a sequence of names, e.g. ('cancel',)")
    handles = tuple(handles)
    unknown = [h for h in handles if h not in KNOWN_HANDLES]
    if unknown:
        raise ValueError(f"handles are among {', '.join(KNOWN_HANDLES)}; got"
                         f" {unknown!r}")
    text = os.environ.pop(ENV_FD)
    try:
        fd = int(text, 10)
        if fd < 0:
            raise ValueError
    except ValueError:
        raise NotInPod(f"{ENV_FD} is not a descriptor number:"
                       f" {text[:32]!r}") from None
    try:
        os.set_inheritable(fd, False)
        sock = socket.socket(fileno=fd)
    except OSError as e:
        raise NotInPod(f"{ENV_FD} names descriptor {fd}, which is not the"
                       f" pod API socket: {e.strerror}") from None
    sock.setblocking(False)
    core = _Core(handles)
    core.queue(_wire.hello(handles=list(handles), pid=os.getpid()))
    return sock, core


def attach(handles: Sequence[str] = HANDLES,
           timeout: float = HELLO_TIMEOUT) -> Pod:
    """Open this process's pod API and return its Pod.

    Reads the descriptor from PODVISOR_API_FD, makes it close-on-exec and
    removes the variable from os.environ (so children do not inherit the
    channel), says hello with what this program handles, and waits up to
    timeout seconds for the runtime's hello and welcome.  Raises NotInPod
    outside a pod.  A later attach() in the same process returns the same
    Pod.

    Example::

        pod = podvisor.attach()
        print(pod.id, pod.name, pod.parent)
    """
    if ENV_FD not in os.environ:
        return _reuse(Pod)
    sock, core = _open_api(handles)
    pod = Pod(sock, core)
    try:
        if not pod._wait(lambda: core.phase == "open", timeout):
            raise ConnectionFailed(f"no welcome from the pod runtime within"
                                   f" {timeout:g}s")
    except BaseException:
        pod.close()
        raise
    _remember(pod)
    return pod


class Pod:
    """This process's pod, as seen through the pod API; made by attach().

    Not thread-safe: use it from one thread, or use podvisor.aio.

    Example::

        pod = podvisor.attach()
        for step in plan: pod.check(); run(step)
    """

    def __init__(self, sock: socket.socket, core: _Core) -> None:
        self._sock: socket.socket | None = sock
        self._core = core
        self._client: Client | None = None
        self._flush()

    def __repr__(self) -> str:
        return f"<podvisor.Pod id={self.id} name={self.name!r}>"

    def __enter__(self) -> Pod:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Identity.

    @property
    def id(self) -> int:
        """This pod's id.

        Example::

            pod = podvisor.attach()
            print("I am pod", pod.id)
        """
        return self._core.id

    @property
    def name(self) -> str | None:
        """This pod's name, or None.

        Example::

            pod = podvisor.attach()
            label = pod.name or str(pod.id)
        """
        return self._core.name

    @property
    def parent(self) -> int | None:
        """The parent pod's id, or None for a top-level pod.

        Example::

            if pod.parent is None:
                print("top level")
        """
        return self._core.parent

    @property
    def deadline(self) -> float | None:
        """When SIGTERM comes (time.time() seconds) if a stop is under way,
        else the --timeout deadline, else None.

        Example::

            if pod.deadline is not None:
                budget = pod.deadline - time.time()
        """
        if _monotonic_ns() >= self._core.quiet_until:
            self._read_available()
        return self._core.deadline

    @property
    def closed(self) -> bool:
        """True once close() was called or the channel failed.

        Example::

            if not pod.closed:
                pod.heartbeat()
        """
        return self._sock is None

    def close(self) -> None:
        """Close the API channel; the pod goes on as a pod without API.

        Example::

            pod.close()
            assert pod.closed
        """
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._core.broken is None:
            self._core.fail(ConnectionFailed, "the pod API channel was"
                            " closed by this program")

    # The cancel.

    def check(self) -> None:
        """A step boundary: raise Stopped once the pod is cancelled.

        Never blocks, except while the pod is paused: it then confirms the
        pause and waits for the resume.  Raises Stopped again on every call
        once cancelled; raises Interrupted for a --preempt message, or with
        "interrupt" in attach's handles a critical one, already received;
        ConnectionFailed or ProtocolError if the channel failed.

        Cheap when nothing is pending: within QUIET_NS (250 us) of a read
        that found nothing, it returns without a system call, so a cancel
        is seen at most that much later than it arrived.

        Example::

            for step in plan:
                pod.check(); run(step)
        """
        if _monotonic_ns() < self._core.quiet_until:
            return
        self._read_available()
        try:
            while self._core.boundary():
                self._flush()
                self._pump(None)
        finally:
            self._flush()               # the ack, or the paused

    @property
    def cancelled(self) -> bool:
        """True once the pod is cancelled; it stays True.

        Example::

            while not pod.cancelled:
                do_some_work()
        """
        if _monotonic_ns() < self._core.quiet_until:
            return False                # as cheap as check()
        return self.cancel is not None

    @property
    def cancel(self) -> Cancel | None:
        """The cancel (.reason, .requested_by, .deadline), or None.

        Example::

            c = pod.cancel
            if c: print(c.reason, "from", c.requested_by)
        """
        core = self._core
        if _monotonic_ns() < core.quiet_until:
            return None                 # as cheap as check()
        self._read_available()
        if core.quiet():
            core.settle()
        cancel = core.observe()
        self._flush()
        return cancel

    def wait_cancel(self, timeout: float | None = None) -> bool:
        """Wait up to timeout seconds (None: forever) for the cancel; True
        once cancelled.

        Example::

            if pod.wait_cancel(timeout=1.0):
                shut_down()
        """
        got = self._wait(lambda: self._core.cancel is not None, timeout)
        if got:
            self._core.observe()
            self._flush()
        return got

    def sleep(self, seconds: float) -> None:
        """Wait, as a step boundary that lasts: return after seconds,
        raise Stopped as soon as the pod is cancelled, and Interrupted as
        soon as an interrupting message arrives (see attach's handles).

        Example::

            pod.sleep(30)       # back off, but hear a stop at once
        """
        self._wait(lambda: self._core.cancel is not None or
                   self._core.interrupted() or self._core.pause_requested,
                   seconds)
        self.check()

    def extend(self, seconds: float, why: str = "") -> float:
        """Ask for more time before SIGTERM; return the new deadline.

        Raises Refused when it would go beyond --max-extend or the
        parent's own deadline (a request is granted whole or not at all).

        Example::

            try: pod.extend(30, why="writing the checkpoint")
            except podvisor.Refused: pass
        """
        return float(self._request("extend", _extend_msg(seconds, why)))

    # Telling podvisor what it is doing.

    def log(self, message: str | bytes, level: str = "info",
            **fields: Any) -> None:
        """Write a ``log`` entry to the pod's segment log.

        fields travel as a JSON object (values JSON cannot hold are written
        with str()).

        Example::

            pod.log("fetched page", url=url, bytes=len(body))
            pod.log("rate limited", level="warning", retry_in=5)
        """
        self._send(_log_msg(message, level, fields))

    def set_status(self, text: str, progress: float | None = None) -> None:
        """Show a short status text and an optional progress from 0 to 1.

        Example::

            pod.set_status("step 3 of 10", progress=0.3)
            pod.set_status("writing the report")
        """
        self._send(_report_msg(text, progress))

    def heartbeat(self) -> None:
        """Tell podvisor the workload is alive (see spawn --heartbeat).

        Example::

            for chunk in stream:
                pod.heartbeat(); handle(chunk)
        """
        self._send({"type": "heartbeat"})

    def set_result(self, value: Any) -> None:
        """Set the pod's result: a JSON value of at most 64 KiB.

        Raises ValueError (before anything is sent) when it is larger or
        not valid JSON; InvalidRequest if the runtime refuses it.

        Example::

            pod.set_result({"answer": 42, "sources": urls})
            podvisor.Client().result(pod.id)  # -> that value
        """
        self._request("result", _result_msg(value))

    # Messages and child events.

    def next_message(self, timeout: float | None = None) -> Message | None:
        """The next notify message, waiting up to timeout seconds (None:
        forever); None on timeout.

        It also returns None, without raising, as soon as the pod is
        cancelled or asked to pause, so that a program waiting here is
        never stuck: call check() after it, which raises Stopped (or
        confirms the pause).  Messages already received are still handed
        out first.

        Example::

            msg = pod.next_message(timeout=30)
            pod.check()  # raises Stopped if that wait ended in a cancel
        """
        self._read_available()
        if not self._core.message_wait_over():
            self._core.want_message()
            self._flush()
            self._wait(self._core.message_wait_over, timeout)
        return self._core.messages.popleft() if self._core.messages \
            else None

    def messages(self, timeout: float | None = None) -> Iterator[Message]:
        """Iterate over messages, calling check() between them.

        Ends when no message comes within timeout seconds (None: never);
        raises Stopped once the pod is cancelled.

        Example::

            for msg in pod.messages():
                handle(msg.data)
        """
        while True:
            self.check()
            msg = self.next_message(timeout)
            if msg is not None:
                yield msg
            elif not self._core.message_wait_over():
                return                  # timed out

    def __iter__(self) -> Iterator[Message]:
        """Iterate over messages, as messages() with no timeout.

        Example::

            for msg in podvisor.attach():
                handle(msg.data)
        """
        return self.messages()

    def next_child_event(self, timeout: float | None = None) \
            -> ChildEvent | None:
        """The next child event (a child spawned or ended), waiting up to
        timeout seconds (None: forever); None on timeout.

        A cancel does not end this wait, so that a cancelled parent can
        still collect its children's ends; a pause request does (None).

        Example::

            ev = pod.next_child_event(timeout=60)
            if ev and ev.event == "ended": print(ev.id, ev.state)
        """
        self._wait(self._core.child_wait_over, timeout)
        return self._core.children.popleft() if self._core.children \
            else None

    def spawn(self, argv: Sequence[str], **options: Any) -> int:
        """Spawn a child pod of this pod through the control socket.

        Takes Client.spawn()'s options (name, env, cwd, timeout, …);
        returns the child's id.

        Example::

            kid = pod.spawn(["python3", "worker.py"], name="worker-1")
            ev = pod.next_child_event()
        """
        if self._client is None:
            from ._client import Client
            self._client = Client()
        return self._client.spawn(argv, parent=self.id, **options)

    def spawn_http(self, url: str, **options: Any) -> int:
        """Spawn a child HTTP pod of this pod (see Client.spawn_http()).

        Example::

            call = pod.spawn_http(url, data=prompt, on_cancel="finish")
            ev = pod.next_child_event()
        """
        if self._client is None:
            from ._client import Client
            self._client = Client()
        return self._client.spawn_http(url, parent=self.id, **options)

    # I/O.

    def _read_available(self) -> None:
        """Read and dispatch whatever is readable now, without blocking."""
        sock = self._sock
        while sock is not None and not self._core.closing:
            try:
                data = sock.recv(_CHUNK)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as e:
                self._core.lost(e.strerror or str(e))
                break
            if not data:
                self._core.lost()
                break
            self._core.feed(data)
        self._flush()

    def _pump(self, timeout: float | None) -> None:
        """Wait up to timeout seconds for input, then read it."""
        if self._sock is not None and not self._core.closing:
            self._poll(select.POLLIN, timeout)
        self._read_available()

    def _poll(self, events: int, timeout: float | None) -> bool:
        assert self._sock is not None
        poller = select.poll()
        poller.register(self._sock, events)
        ms = None if timeout is None else max(0, int(timeout * 1000) + 1)
        return bool(poller.poll(ms))

    def _flush(self) -> None:
        """Write the queued frames; close the socket if the core says so."""
        out = self._core.out
        deadline = None                 # read the clock only if we wait
        while out and self._sock is not None:
            try:
                n = self._sock.send(out, socket.MSG_NOSIGNAL)
                del out[:n]
            except (BlockingIOError, InterruptedError):
                if deadline is None:
                    deadline = time.monotonic() + SEND_TIMEOUT
                left = deadline - time.monotonic()
                if left <= 0 or not self._poll(select.POLLOUT, left):
                    self._core.fail(ConnectionFailed, "the pod runtime is"
                                    " not reading the API channel")
                    break
            except OSError as e:
                self._core.lost(e.strerror or str(e))
                break
        if self._core.closing and self._sock is not None:
            out.clear()
            self._sock.close()
            self._sock = None

    def _wait(self, ready: Callable[[], bool], timeout: float | None) -> bool:
        """Read until ready() or the timeout; raise if the channel fails
        first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        self._read_available()
        while not ready():
            self._core.raise_broken()
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            self._pump(left)
        return True

    def _send(self, msg: dict[str, Any]) -> None:
        self._core.raise_broken()
        self._core.queue(msg)
        self._flush()
        self._core.raise_broken()

    def _request(self, kind: str, msg: dict[str, Any]) -> Any:
        reply = self._core.request(kind, msg)
        self._flush()
        if not self._wait(lambda: reply.done, REPLY_TIMEOUT):
            raise ConnectionFailed(f"no answer to {kind} from the pod"
                                   f" runtime within {REPLY_TIMEOUT:g}s")
        if reply.error is not None:
            raise reply.error
        return reply.value
