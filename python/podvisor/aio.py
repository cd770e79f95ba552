"""The asyncio form of the podvisor package: the same calls, awaited.

``await podvisor.aio.attach()`` gives an AsyncPod whose channel is read by
the event loop itself (add_reader) as frames arrive, so a cancel is noted
even while the program is awaiting something else, yet nothing is ever
raised into that await: Stopped comes from ``await pod.check()`` at the
program's own step boundary.  AsyncClient is Client over asyncio streams.
No threads are used.

Example::

    pod = await podvisor.aio.attach()
    async for msg in pod: await pod.check(); await handle(msg)
"""

from __future__ import annotations

import asyncio
import atexit
import os
import socket
from typing import Any, AsyncIterator, Callable, Sequence

from . import _client, _pod, _wire
from ._client import PodRef, Reply, Seconds
from ._pod import (HANDLES, HELLO_TIMEOUT, REPLY_TIMEOUT,
                   SEND_TIMEOUT, Cancel, ChildEvent, Message, _monotonic_ns)
from .errors import (ConnectionFailed, PodvisorError, ProtocolError, Timeout,
                     Unreachable)

__all__ = ["attach", "AsyncPod", "AsyncClient"]

_CHUNK = 65536
_HIGH_WATER = 256 * 1024    # queued output at which sending calls wait


async def attach(handles: Sequence[str] = HANDLES,
                 timeout: float = HELLO_TIMEOUT) -> AsyncPod:
    """Open this process's pod API on the running event loop.

    As podvisor.attach(): NotInPod outside a pod; a later call in the same
    process returns the same AsyncPod.

    Example::

        pod = await podvisor.aio.attach()
        print(pod.id, pod.name)
    """
    if _pod.ENV_FD not in os.environ:
        return _pod._reuse(AsyncPod)
    sock, core = _pod._open_api(handles)
    pod = AsyncPod(sock, core, asyncio.get_running_loop())
    try:
        if not await pod._wait(lambda: core.phase == "open", timeout):
            raise ConnectionFailed(f"no welcome from the pod runtime within"
                                   f" {timeout:g}s")
    except BaseException:
        pod.close()
        raise
    _pod._remember(pod)
    atexit.register(pod._drain)     # a burst just before the end is kept
    return pod


class AsyncPod:
    """This process's pod through the pod API, for asyncio programs.

    Made by podvisor.aio.attach(); every call of podvisor.Pod is here, the
    ones that may wait or send as coroutines.

    Example::

        pod = await podvisor.aio.attach()
        await pod.check(); await pod.set_status("working")
    """

    def __init__(self, sock: socket.socket, core: _pod._Core,
                 loop: asyncio.AbstractEventLoop) -> None:
        self._sock: socket.socket | None = sock
        self._fd = sock.fileno()
        self._core = core
        self._loop = loop
        self._waiters: list[asyncio.Future[None]] = []
        self._writing = False
        self._client: AsyncClient | None = None
        loop.add_reader(self._fd, self._read_available)
        self._kick()

    def __repr__(self) -> str:
        return f"<podvisor.aio.AsyncPod id={self.id} name={self.name!r}>"

    async def __aenter__(self) -> AsyncPod:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    @property
    def id(self) -> int:
        """This pod's id.

        Example::

            pod = await podvisor.aio.attach()
            print("I am pod", pod.id)
        """
        return self._core.id

    @property
    def name(self) -> str | None:
        """This pod's name, or None.

        Example::

            pod = await podvisor.aio.attach()
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
        """When SIGTERM comes (time.time() seconds), as Pod.deadline.

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
                await pod.heartbeat()
        """
        return self._sock is None

    def close(self) -> None:
        """Close the API channel; the pod goes on as a pod without API.

        Example::

            pod.close()
            assert pod.closed
        """
        self._drain()
        if self._core.broken is None:
            self._core.fail(ConnectionFailed, "the pod API channel was"
                            " closed by this program")
        self._shutdown()

    # The cancel.

    async def check(self) -> None:
        """A step boundary: raise Stopped once the pod is cancelled.

        As Pod.check(): never waits, except while the pod is paused (it
        confirms the pause and waits for the resume).
        The event loop reads the channel as input arrives; for a loop of
        steps that never yields to it, check() itself reads the channel at
        most every QUIET_NS (250 us) while nothing is pending, and costs a
        clock read in between.

        Example::

            for step in plan:
                await pod.check(); await run(step)
        """
        if _monotonic_ns() < self._core.quiet_until:
            return
        self._read_available()
        try:
            while self._core.boundary():
                self._kick()
                await self._wait(lambda: not self._core.pause_requested or
                                 self._core.cancel is not None, None)
        finally:
            self._kick()                # the ack, or the paused

    @property
    def cancelled(self) -> bool:
        """True once the pod is cancelled; it stays True.

        Example::

            while not pod.cancelled:
                await do_some_work()
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
        self._kick()
        return cancel

    async def wait_cancel(self, timeout: float | None = None) -> bool:
        """Wait up to timeout seconds (None: forever) for the cancel; True
        once cancelled.

        Example::

            watcher = asyncio.create_task(pod.wait_cancel())
            done, _ = await asyncio.wait({watcher, llm_call})
        """
        got = await self._wait(lambda: self._core.cancel is not None,
                               timeout)
        if got:
            self.cancel             # observe it: acknowledge
        return got

    async def sleep(self, seconds: float) -> None:
        """Wait as a step boundary: return after seconds, or raise Stopped
        or Interrupted as soon as there is cause.

        Example::

            await pod.sleep(30)
        """
        await self._wait(lambda: self._core.cancel is not None or
                         self._core.interrupted() or
                         self._core.pause_requested, seconds)
        await self.check()

    async def extend(self, seconds: float, why: str = "") -> float:
        """Ask for more time before SIGTERM; return the new deadline.

        Example::

            try: await pod.extend(30, why="writing the checkpoint")
            except podvisor.Refused: pass
        """
        return float(await self._request("extend",
                                         _pod._extend_msg(seconds, why)))

    # Telling podvisor what it is doing.

    async def log(self, message: str | bytes, level: str = "info",
                  **fields: Any) -> None:
        """Write a ``log`` entry to the pod's segment log, as Pod.log().

        Example::

            await pod.log("fetched page", url=url)
            await pod.log("rate limited", level="warning", retry_in=5)
        """
        await self._send(_pod._log_msg(message, level, fields))

    async def set_status(self, text: str,
                         progress: float | None = None) -> None:
        """Show a short status text and an optional progress from 0 to 1.

        Example::

            await pod.set_status("step 3 of 10", progress=0.3)
            await pod.set_status("writing the report")
        """
        await self._send(_pod._report_msg(text, progress))

    async def heartbeat(self) -> None:
        """Tell podvisor the workload is alive (see spawn --heartbeat).

        Example::

            async for chunk in stream:
                await pod.heartbeat(); handle(chunk)
        """
        await self._send({"type": "heartbeat"})

    async def set_result(self, value: Any) -> None:
        """Set the pod's result, a JSON value of at most 64 KiB (ValueError
        before sending otherwise).

        Example::

            await pod.set_result({"answer": 42})
            await podvisor.aio.AsyncClient().result(pod.id)
        """
        await self._request("result", _pod._result_msg(value))

    # Messages and child events.

    async def next_message(self, timeout: float | None = None) \
            -> Message | None:
        """The next notify message, or None on timeout, as
        Pod.next_message(): it also returns None once the pod is cancelled
        or asked to pause, so call check() after it.

        Example::

            msg = await pod.next_message(timeout=30)
            await pod.check()
        """
        core = self._core
        self._read_available()
        if not core.message_wait_over():
            core.want_message()
            self._kick()
            await self._wait(core.message_wait_over, timeout)
        return core.messages.popleft() if core.messages else None

    async def messages(self, timeout: float | None = None) \
            -> AsyncIterator[Message]:
        """Iterate over messages, calling check() between them; ends when
        none comes within timeout seconds (None: never).

        Example::

            async for msg in pod.messages():
                await handle(msg.data)
        """
        while True:
            await self.check()
            msg = await self.next_message(timeout)
            if msg is not None:
                yield msg
            elif not self._core.message_wait_over():
                return

    def __aiter__(self) -> AsyncIterator[Message]:
        """Iterate over messages, as messages() with no timeout.

        Example::

            async for msg in await podvisor.aio.attach():
                await handle(msg.data)
        """
        return self.messages()

    async def next_child_event(self, timeout: float | None = None) \
            -> ChildEvent | None:
        """The next child event, or None on timeout (or a pause request),
        as Pod.next_child_event().

        Example::

            ev = await pod.next_child_event(timeout=60)
            if ev and ev.event == "ended": print(ev.id, ev.state)
        """
        await self._wait(self._core.child_wait_over, timeout)
        return self._core.children.popleft() if self._core.children \
            else None

    async def spawn(self, argv: Sequence[str], **options: Any) -> int:
        """Spawn a child pod of this pod; return its id.

        Example::

            kid = await pod.spawn(["python3", "worker.py"], name="w1")
            ev = await pod.next_child_event()
        """
        if self._client is None:
            self._client = AsyncClient()
        return await self._client.spawn(argv, parent=self.id, **options)

    async def spawn_http(self, url: str, **options: Any) -> int:
        """Spawn a child HTTP pod of this pod (see Client.spawn_http()).

        Example::

            call = await pod.spawn_http(url, data=prompt)
            ev = await pod.next_child_event()
        """
        if self._client is None:
            self._client = AsyncClient()
        return await self._client.spawn_http(url, parent=self.id,
                                             **options)

    # I/O, driven by the event loop.

    def _read_available(self) -> None:
        """Read and dispatch whatever is readable now, without blocking."""
        while self._sock is not None and not self._core.closing:
            try:
                data = self._sock.recv(_CHUNK)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as e:
                self._core.lost(e.strerror or str(e))
                break
            if not data:
                self._core.lost()
                break
            self._core.feed(data)
        self._kick()
        self._wake()

    def _kick(self) -> None:
        """Write what the socket takes now; the loop writes the rest."""
        out = self._core.out
        while out and self._sock is not None:
            try:
                del out[:self._sock.send(out, socket.MSG_NOSIGNAL)]
            except (BlockingIOError, InterruptedError):
                if not self._writing:
                    self._loop.add_writer(self._fd, self._kick)
                    self._writing = True
                return
            except OSError as e:
                self._core.lost(e.strerror or str(e))
                break
        if self._writing:
            self._loop.remove_writer(self._fd)
            self._writing = False
        if self._core.closing:
            self._shutdown()
        self._wake()

    def _drain(self) -> None:
        """Hand the runtime what is still queued, blocking for at most
        SEND_TIMEOUT: on close() and at the program's exit, where the
        loop that would write it is gone, entries logged last are not
        lost."""
        out = self._core.out
        if not out or self._sock is None or self._core.broken is not None:
            return
        try:
            self._sock.settimeout(_pod.SEND_TIMEOUT)
            self._sock.sendall(out, socket.MSG_NOSIGNAL)
            out.clear()
        except OSError:
            pass                        # the runtime is gone: nothing to do

    def _shutdown(self) -> None:
        if self._sock is not None:
            self._loop.remove_reader(self._fd)
            if self._writing:
                self._loop.remove_writer(self._fd)
                self._writing = False
            self._core.out.clear()
            self._sock.close()
            self._sock = None
        self._wake()

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    async def _wait(self, ready: Callable[[], bool],
                    timeout: float | None) -> bool:
        """Wait for ready() or the timeout; raise if the channel fails."""
        self._read_available()
        scope = asyncio.timeout(timeout)
        try:
            async with scope:
                while not ready():
                    self._core.raise_broken()
                    fut = self._loop.create_future()
                    self._waiters.append(fut)
                    await fut
        except TimeoutError:
            if not scope.expired():
                raise
            return False
        return True

    async def _send(self, msg: dict[str, Any]) -> None:
        self._core.raise_broken()
        self._core.queue(msg)
        self._kick()
        if len(self._core.out) > _HIGH_WATER and not await self._wait(
                lambda: len(self._core.out) <= _HIGH_WATER, SEND_TIMEOUT):
            self._core.fail(ConnectionFailed, "the pod runtime is not"
                            " reading the API channel")
            self._shutdown()
        self._core.raise_broken()

    async def _request(self, kind: str, msg: dict[str, Any]) -> Any:
        reply = self._core.request(kind, msg)
        self._kick()
        if not await self._wait(lambda: reply.done, REPLY_TIMEOUT):
            raise ConnectionFailed(f"no answer to {kind} from the pod"
                                   f" runtime within {REPLY_TIMEOUT:g}s")
        if reply.error is not None:
            raise reply.error
        return reply.value


class _AConn:
    """One connection to podvisord over asyncio streams, hello done."""

    def __init__(self, path: str, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        self.path = path
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, path: str, timeout: float | None) -> _AConn:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_unix_connection(path)
        except TimeoutError:
            raise Unreachable(f"cannot reach podvisord at {path}: no"
                              " answer to the connect") from None
        except OSError as e:
            raise _client.connect_error(path, e) from None
        conn = cls(path, reader, writer)
        try:
            async with asyncio.timeout(timeout):
                await conn.send(_wire.hello())
                first = await conn.recv()
                try:
                    _wire.check_hello(first, "podvisord")
                except ProtocolError as e:
                    await conn.send(_wire.protocol_error(str(e)))
                    raise
        except TimeoutError:
            conn.close()
            raise Unreachable(f"podvisord at {path} did not say hello")
        except BaseException:
            conn.close()
            raise
        return conn

    def close(self) -> None:
        self.writer.close()

    def stale(self) -> bool:
        return self.reader.at_eof() or self.writer.is_closing()

    async def send(self, msg: dict[str, Any]) -> None:
        try:
            self.writer.write(_wire.encode(msg))
            await self.writer.drain()
        except (ConnectionError, OSError) as e:
            raise Unreachable(f"lost the connection to podvisord at"
                              f" {self.path}: {e}") from None

    async def recv(self) -> dict[str, Any]:
        try:
            (n,) = _wire._HEADER.unpack(await self.reader.readexactly(4))
            if n > _wire.FRAME_MAX:
                raise ProtocolError(f"frame of {n} bytes is over the"
                                    f" {_wire.FRAME_MAX}-byte limit")
            return _wire.decode(await self.reader.readexactly(n))
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            raise Unreachable(f"lost the connection to podvisord at"
                              f" {self.path} before its reply ended"
                              " (did it exit?)") from None


class AsyncClient:
    """Client's calls as coroutines, over asyncio streams.

    Example::

        client = podvisor.aio.AsyncClient()
        pod_id = await client.spawn(["sleep", "5"]); await client.wait(pod_id)
    """

    def __init__(self, socket: str | os.PathLike[str] | None = None,
                 timeout: float | None = _client.REQUEST_TIMEOUT) -> None:
        self.socket = os.fspath(socket) if socket is not None \
            else _client.default_socket()
        self.timeout = timeout
        self._conn: _AConn | None = None

    def __repr__(self) -> str:
        return f"<podvisor.aio.AsyncClient socket={self.socket!r}>"

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (the next call opens a new one).

        Example::

            async with podvisor.aio.AsyncClient() as client:
                await client.status()
        """
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def _call(self, msg: dict[str, Any],
                    final: tuple[str, ...] = ("end",),
                    timeout: float | None | bool = True) -> Reply:
        limit = self.timeout if timeout is True else timeout
        if self._conn is not None and self._conn.stale():
            self.close()
        reply = Reply(final)
        scope = asyncio.timeout(limit)
        try:
            async with scope:
                if self._conn is None:
                    self._conn = await _AConn.open(self.socket, self.timeout)
                await self._conn.send(msg)
                while not reply.feed(await self._conn.recv()):
                    pass
        except PodvisorError as e:
            if e.code is None or e.code == "protocol":
                self.close()
            raise
        except TimeoutError:
            self.close()
            if scope.expired():
                raise Timeout("podvisord did not answer in time") from None
            raise
        except BaseException:
            self.close()
            raise
        return reply

    async def spawn(self, argv: Sequence[str], **options: Any) -> int:
        """Start a pod; return its id.  Options as Client.spawn().

        Example::

            pod_id = await client.spawn(["sh", "-c", "echo hi"], name="hi")
            await client.wait(pod_id)
        """
        return _client._spawned(await self._call(
            _client.spawn_request(argv, **options), ("ok",)))

    async def spawn_http(self, url: str, **options: Any) -> int:
        """Start an HTTP pod; return its id.  Options as
        Client.spawn_http().

        Example::

            pod_id = await client.spawn_http(url, headers={"X-Api-Key": k})
            await client.wait(pod_id)
        """
        return _client._spawned(await self._call(
            _client.spawn_http_request(url, **options), ("ok",)))

    async def stop(self, *pods: PodRef, reason: str | None = None,
                   cancel_grace: Seconds | None = None,
                   term_grace: Seconds | None = None, wait: bool = True,
                   timeout: float | None = None) -> list[dict[str, Any]]:
        """Stop pods and their subtrees, as Client.stop().

        Example::

            for rec in await client.stop("crawler", reason="deploy"):
                print(rec["id"], rec["state"])
        """
        msg = _client.stop_request(pods, reason, cancel_grace, term_grace,
                                   wait)
        return (await self._call(msg, timeout=timeout if wait else True)) \
            .pods()

    async def kill(self, pod: PodRef, signal: int | str = "TERM") -> None:
        """Send a signal to the pod's workload process group now.

        Example::

            await client.kill("crawler", "KILL")
            await client.kill(7, 10)
        """
        await self._call({"type": "kill", "pod": _client._ref(pod),
                          "signal": _client.parse_signal(signal)}, ("ok",))

    async def wait(self, *pods: PodRef, tree: bool = False,
                   timeout: float | None = None) -> list[dict[str, Any]]:
        """Wait until the pods are terminal; return their records.

        Example::

            [rec] = await client.wait(pod_id)
            print(rec["state"])
        """
        msg = {"type": "wait", "pods": _client._refs(pods),
               "tree": tree or None}
        return (await self._call(msg, timeout=timeout)).pods()

    async def status(self, pod: PodRef | None = None,
                     all: bool = False) -> Any:
        """The pod tree, as Client.status().

        Example::

            for root in await client.status(all=True):
                print(root["id"], root["state"])
        """
        msg = {"type": "status",
               "pod": None if pod is None else _client._ref(pod),
               "all": True if all or pod is not None else None}
        return _client._status(pod, await self._call(msg))

    async def inspect(self, pod: PodRef) -> dict[str, Any]:
        """Everything known about one pod, as Client.inspect().

        Example::

            rec = await client.inspect("crawler")
            print(rec["state"])
        """
        return _client._inspected(await self._call(
            {"type": "inspect", "pod": _client._ref(pod)}))

    async def logs(self, pod: PodRef, follow: bool = False,
                   from_seq: int | None = None,
                   tail: int | None = None) -> AsyncIterator[dict[str, Any]]:
        """The pod's segment log as an async iterator, as Client.logs().

        Example::

            async for entry in client.logs("crawler", follow=True):
                print(entry["kind"], entry["data"])
        """
        msg = _client.logs_request(pod, follow, from_seq, tail)
        if tail == 0:
            last = (await self.inspect(pod))["log_seq"]
            msg["from"], msg["tail"] = max(from_seq or 0, last + 1), None
        conn = await _AConn.open(self.socket, self.timeout)
        try:
            await conn.send(msg)
            reply = Reply(("end",))
            while not reply.feed(await conn.recv()):
                yield _client.entry_record(reply.records.pop())
        finally:
            conn.close()

    async def send(self, pod: PodRef, data: str | bytes,
                   priority: str = "normal", key: str | None = None,
                   preempt: bool = False) -> int:
        """Deliver a notify message to the pod; return its log seq.

        Example::

            seq = await client.send("agent", "summarise the thread")
            print("logged as", seq)
        """
        reply = await self._call(
            _client.send_request(pod, data, priority, key, preempt), ("ok",))
        return _wire.get_uint(reply.last, "seq")

    async def pause(self, *pods: PodRef, wait: bool = True,
                    timeout: float | None = None) -> list[dict[str, Any]]:
        """Pause pods and their subtrees, as Client.pause().

        Example::

            await client.pause("agent")
            await client.resume("agent")
        """
        msg = {"type": "pause", "pods": _client._refs(pods), "wait": wait}
        return (await self._call(msg, ("end", "ok"),
                                 timeout=timeout if wait else True)).pods()

    async def resume(self, *pods: PodRef) -> list[dict[str, Any]]:
        """Resume paused pods and their subtrees.

        Example::

            await client.pause("agent", wait=False)
            await client.resume("agent")
        """
        msg = {"type": "resume", "pods": _client._refs(pods)}
        return (await self._call(msg, ("end", "ok"))).pods()

    async def result(self, pod: PodRef) -> Any:
        """The JSON value the pod's workload set; NoResult if none.

        Example::

            await client.wait("agent")
            answer = await client.result("agent")
        """
        reply = await self._call({"type": "inspect",
                                  "pod": _client._ref(pod)})
        return _client.result_value(pod, reply.records)

    async def rm(self, *pods: PodRef) -> list[dict[str, Any]]:
        """Forget terminal pods and delete their logs, as Client.rm().

        Example::

            await client.wait(pod_id)
            await client.rm(pod_id)
        """
        return (await self._call({"type": "rm",
                                  "pods": _client._refs(pods)})).pods()
