"""The control socket: what podctl does, as a Python API.

Client speaks the control channel of podvisor-protocol(7) to podvisord and
returns plain dicts shaped like ``podctl --json`` output.  The request
builders and the record conversions here are shared with aio.AsyncClient.
"""

from __future__ import annotations

import base64
import datetime
import functools
import json
import os
import pwd
import select
import signal as _signal
import socket as _socket
import time
from typing import Any, Iterable, Iterator, Mapping, Sequence, Union

from . import _wire
from .errors import (NoResult, NotFound, PermissionDenied, PodvisorError,
                     ProtocolError, Timeout, Unreachable, error_for_code)

__all__ = ["Client", "default_socket", "PodRef", "Seconds", "PRIORITIES"]

PodRef = Union[int, str]
"""A pod, named by its id or its name."""

Seconds = Union[int, float, datetime.timedelta]
"""A duration: seconds, or a timedelta."""

PRIORITIES = ("low", "normal", "high", "critical")
REQUEST_TIMEOUT = 30.0          # default bound on a reply that comes at once
_CHUNK = 65536

# --- places -------------------------------------------------------------------


def default_socket() -> str:
    """The control socket: $PODVISOR_SOCKET, else the contract's default.

    That is /run/podvisor/podvisor.sock for root, else
    $XDG_RUNTIME_DIR/podvisor/podvisor.sock, else
    /tmp/podvisor-$UID/podvisor.sock.

    Example::

        path = podvisor.default_socket()
        client = podvisor.Client(path)
    """
    path = os.environ.get("PODVISOR_SOCKET")
    if path:
        return path
    uid = os.geteuid()
    if uid == 0:
        return "/run/podvisor/podvisor.sock"
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime.startswith("/"):
        return f"{runtime}/podvisor/podvisor.sock"
    return f"/tmp/podvisor-{uid}/podvisor.sock"


# --- values podctl prints ------------------------------------------------------

# podctl's signal names: the first name of a number is its name.
_SIGNAL_NAMES = (
    "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS",
    "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE",
    "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP",
    "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ",
    "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPOLL", "SIGPWR",
    "SIGSYS",
)
_SIGNAL_MAX = 64


@functools.lru_cache(maxsize=None)
def _signal_table() -> tuple[dict[int, str], dict[str, int]]:
    by_number: dict[int, str] = {}
    by_name: dict[str, int] = {}
    for name in _SIGNAL_NAMES:
        number = getattr(_signal, name, None)
        if number is not None:
            by_number.setdefault(int(number), name)
            by_name[name[3:]] = int(number)
    lo = int(getattr(_signal, "SIGRTMIN", 0))
    hi = min(int(getattr(_signal, "SIGRTMAX", 0)), _SIGNAL_MAX)
    for number in range(lo, hi + 1) if lo else ():
        name = "RTMIN" if number == lo else f"RTMIN+{number - lo}"
        by_number[number] = "SIG" + name
        by_name[name] = number
    return by_number, by_name


def signal_name(number: int | None) -> str | None:
    """A signal as podctl prints it: "SIGKILL", or its number as a string."""
    if number is None or number <= 0:
        return None
    return _signal_table()[0].get(number, str(number))


def parse_signal(sig: int | str) -> int:
    """A signal given as 9, "KILL", "SIGKILL", "sigkill" or "9"."""
    if isinstance(sig, bool):
        raise TypeError("a signal is an int or a name such as 'TERM'")
    if isinstance(sig, int):
        number = int(sig)
    elif isinstance(sig, str):
        text = sig.strip().upper()
        if text.isdigit():
            number = int(text)
        else:
            number = _signal_table()[1].get(text.removeprefix("SIG"), 0)
    else:
        raise TypeError("a signal is an int or a name such as 'TERM'")
    if not 1 <= number <= _SIGNAL_MAX:
        raise ValueError(f"invalid signal {sig!r}: use a name like TERM or"
                         f" SIGINT, or a number from 1 to {_SIGNAL_MAX}")
    return number


def _ms(name: str, value: Seconds | None) -> int | None:
    """A duration in seconds (or a timedelta) as the wire's milliseconds."""
    if value is None:
        return None
    if isinstance(value, datetime.timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} is a number of seconds or a timedelta")
    if value < 0:
        raise ValueError(f"{name} must not be negative")
    return round(value * 1000)


@functools.lru_cache(maxsize=64)
def _owner(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except (KeyError, OverflowError):
        return str(uid)


def _nonneg(value: int | None) -> int | None:
    return None if value is None or value < 0 else value


def _positive(value: int | None) -> int | None:
    return None if value is None or value <= 0 else value


def _plain(value: Any) -> Any:
    """A field this package does not know, as JSON-like data."""
    if isinstance(value, bytes):
        return _wire.lossy_text(value)
    if isinstance(value, str):
        return _wire.lossy_text(value.encode("utf-8", "surrogateescape"))
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


_LIMITS = ("nofile", "nproc", "as", "cpu")
_TIMES = ("created_at", "started_at", "ended_at", "stop_requested_at")
_API_TIMES = ("next_stage_at", "cancel_acked_at", "heartbeat_at", "paused_at")
# Record fields folded into others, or not shown (as by podctl).
_CONSUMED = {"type", "stage_left_ms", "result"} | \
    {f"limit_{n}" for n in _LIMITS} | \
    {"http_url", "http_method", "http_status", "http_on_cancel"} | \
    {"env", "gid"}


def pod_record(msg: Mapping[str, Any], inspect: bool = False) \
        -> dict[str, Any]:
    """A ``pod`` message as podctl --json shows it (children as ids).

    Times become RFC 3339 strings, signals names, the owner a user name;
    with inspect, ``result`` is the parsed JSON value (or None).  Fields of
    a newer podvisord that this package does not know are kept as they
    are.
    """
    g = _wire
    rec: dict[str, Any] = {
        "id": g.get_uint(msg, "id", required=True),
        "name": g.get_str(msg, "name"),
        "parent": _nonneg(g.get_int(msg, "parent")),
        "state": g.get_str(msg, "state", required=True),
        "pid": _positive(g.get_int(msg, "pid")),
        "runtime_pid": _positive(g.get_int(msg, "runtime_pid")),
        "argv": g.get_strv(msg, "argv"),
        "cwd": g.get_str(msg, "cwd"),
        "exit_code": _nonneg(g.get_int(msg, "exit_code")),
        "signal": signal_name(g.get_int(msg, "signal")),
        "reason": g.get_str(msg, "reason"),
        "error": g.get_str(msg, "error"),
        "owner": _owner(g.get_uint(msg, "owner")),
    }
    for key in _TIMES:
        rec[key] = g.ns_to_rfc3339(g.get_int(msg, key))
    rec.update({
        "cancel_grace_ms": _nonneg(g.get_int(msg, "cancel_grace_ms")),
        "term_grace_ms": _nonneg(g.get_int(msg, "term_grace_ms")),
        "stop_signal": signal_name(g.get_int(msg, "stop_signal")),
        "timeout_ms": _nonneg(g.get_int(msg, "timeout_ms")),
        "on_parent_exit": g.get_str(msg, "on_parent_exit") or "stop",
        "limits": {n: v for n in _LIMITS
                   if (v := _nonneg(g.get_int(msg, f"limit_{n}")))
                   is not None},
        "log_max": g.get_uint(msg, "log_max"),
        "leftovers": g.get_uint(msg, "leftovers"),
        "log_seq": g.get_uint(msg, "log_seq"),
        "children": g.get_uintv(msg, "children"),
        "api": g.get_bool(msg, "api"),
    })
    for key in _API_TIMES:
        rec[key] = g.ns_to_rfc3339(g.get_int(msg, key))
    rec.update({
        "status_text": g.get_str(msg, "status_text"),
        "progress": g.get_float(msg, "progress"),
        "max_extend_ms": _nonneg(g.get_int(msg, "max_extend_ms")),
        "heartbeat_ms": _nonneg(g.get_int(msg, "heartbeat_ms")),
        "queued": g.get_uint(msg, "queued"),
        "cause": g.get_strv(msg, "cause") if "cause" in msg else None,
        "restart": g.get_str(msg, "restart") or "no",
        "max_restarts": _nonneg(g.get_int(msg, "max_restarts")),
        "restart_delay_ms": _nonneg(g.get_int(msg, "restart_delay_ms")),
        "restarts": g.get_uint(msg, "restarts"),
        "restart_wait_ms": _nonneg(g.get_int(msg, "restart_wait_ms")),
        "restart_at": g.ns_to_rfc3339(g.get_int(msg, "restart_at")),
    })
    rec["http"] = _http_record(msg)
    if inspect:
        rec["result"] = _result(msg)
    for key, value in msg.items():
        if key not in rec and key not in _CONSUMED:
            rec[key] = _plain(value)
    return rec


def _http_record(msg: Mapping[str, Any]) -> dict[str, Any] | None:
    """An HTTP pod's request and status (as podctl --json's "http")."""
    url = _wire.get_str(msg, "http_url")
    if url is None:
        return None
    return {"url": url, "method": _wire.get_str(msg, "http_method"),
            "status": _nonneg(_wire.get_int(msg, "http_status")),
            "on_cancel": _wire.get_str(msg, "http_on_cancel") or "finish"}


def _result(msg: Mapping[str, Any]) -> Any:
    raw = _wire.get_bin(msg, "result")
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise ProtocolError("'pod' message: field 'result' is not JSON"
                            " text") from None


def entry_record(msg: Mapping[str, Any]) -> dict[str, Any]:
    """An ``entry`` message as podctl --json logs shows it: {seq, ts, kind,
    data}, data base64 with "encoding": "base64" when it is not UTF-8."""
    raw = _wire.get_bin(msg, "data") or b""
    rec: dict[str, Any] = {
        "seq": _wire.get_uint(msg, "seq", required=True),
        "ts": _wire.ns_to_rfc3339(_wire.get_int(msg, "ts", required=True)),
        "kind": _wire.get_str(msg, "kind", required=True),
    }
    try:
        rec["data"] = raw.decode("utf-8")
    except UnicodeDecodeError:
        rec["data"] = base64.b64encode(raw).decode("ascii")
        rec["encoding"] = "base64"
    return rec


def pod_forest(msgs: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Status records (parents first) as podctl status --json shows them:
    the roots, each with its child pod objects nested in ``children``."""
    by_id: dict[int, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    for msg in msgs:
        rec = pod_record(msg)
        rec["children"] = []
        parent = by_id.get(rec["parent"]) if rec["parent"] is not None \
            else None
        (parent["children"] if parent is not None else roots).append(rec)
        by_id[rec["id"]] = rec
    return roots


# --- requests ----------------------------------------------------------------


def _ref(pod: PodRef) -> str:
    return _wire.flatten_refs([pod])[0]


def _refs(pods: Sequence[PodRef]) -> list[str]:
    if not pods:
        raise TypeError("name at least one pod")
    return _wire.flatten_refs(pods)


def _env_list(env: Mapping[str, str] | Iterable[str] | None,
              inherit: bool) -> list[str] | None:
    entries = [f"{k}={v}" for k, v in os.environ.items()] if inherit else []
    if isinstance(env, Mapping):
        entries += [f"{k}={v}" for k, v in env.items()]
    elif env is not None:
        if isinstance(env, str):
            raise TypeError("env is a mapping or a sequence of 'K=V'")
        entries += list(env)
    for entry in entries:
        if not isinstance(entry, str) or entry.startswith("=") or \
                "=" not in entry:
            raise ValueError(f"env entry {entry!r} is not K=V")
    return entries or None


def _restart_policy(policy: str | None) -> str | None:
    if policy is not None and policy not in ("no", "on-failure", "always"):
        raise ValueError(f"restart is 'no', 'on-failure' or 'always', not"
                         f" {policy!r}")
    return policy


def _count(what: str, n: int | None) -> int | None:
    if n is None:
        return None
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"{what} is a non-negative int, not {n!r}")
    return n


def spawn_request(argv: Sequence[str], *, name: str | None = None,
                  parent: PodRef | None = None,
                  cwd: str | os.PathLike[str] | None = None,
                  env: Mapping[str, str] | Iterable[str] | None = None,
                  inherit_env: bool = False,
                  cancel_grace: Seconds | None = None,
                  term_grace: Seconds | None = None,
                  stop_signal: int | str | None = None,
                  timeout: Seconds | None = None,
                  on_parent_exit: str | None = None,
                  heartbeat: Seconds | None = None,
                  max_extend: Seconds | None = None,
                  limits: Mapping[str, int] | None = None,
                  restart: str | None = None,
                  max_restarts: int | None = None,
                  restart_delay: Seconds | None = None) -> dict[str, Any]:
    """The spawn request (see Client.spawn())."""
    if isinstance(argv, (str, bytes)) or not argv:
        raise TypeError("argv is a non-empty sequence of str, e.g."
                        " ['sleep', '10']")
    argv = [_wire.need_str("argv entry", a) for a in argv]
    if parent is None:
        parent = os.environ.get("PODVISOR_POD") or None
    here = os.getcwd()
    cwd = os.path.join(here, os.fspath(cwd)) if cwd is not None else here
    msg: dict[str, Any] = {
        "type": "spawn", "argv": argv, "cwd": cwd,
        "env": _env_list(env, inherit_env),
        "inherit_env": True if inherit_env else None,
        "name": name,
        "parent": None if parent is None else _ref(parent),
        "cancel_grace_ms": _ms("cancel_grace", cancel_grace),
        "term_grace_ms": _ms("term_grace", term_grace),
        "stop_signal": None if stop_signal is None else
        parse_signal(stop_signal),
        "timeout_ms": _ms("timeout", timeout),
        "on_parent_exit": on_parent_exit,
        "heartbeat_ms": _ms("heartbeat", heartbeat),
        "max_extend_ms": _ms("max_extend", max_extend),
        "restart": _restart_policy(restart),
        "max_restarts": _count("max_restarts", max_restarts),
        "restart_delay_ms": _ms("restart_delay", restart_delay),
    }
    for key, value in (limits or {}).items():
        if key not in _LIMITS:
            raise ValueError(f"unknown limit {key!r}: use"
                             f" {', '.join(_LIMITS)}")
        msg[f"limit_{key}"] = int(value)
    return msg


def spawn_http_request(url: str, *, method: str | None = None,
                       headers: Mapping[str, str] | Iterable[str] |
                       None = None,
                       data: str | bytes | None = None,
                       on_cancel: str | None = None,
                       **options: Any) -> dict[str, Any]:
    """The spawn request of an HTTP pod (see Client.spawn_http())."""
    msg = spawn_request(["http"], **options)
    del msg["argv"]
    if isinstance(headers, Mapping):
        headers = [f"{k}: {v}" for k, v in headers.items()]
    elif isinstance(headers, (str, bytes)):
        raise TypeError("headers is a mapping or a sequence of"
                        " 'Name: value' strings")
    if isinstance(data, str):
        data = data.encode()
    msg.update({
        "http_url": _wire.need_str("url", url),
        "http_method": method,
        "http_headers": None if headers is None else
        [_wire.need_str("header", h) for h in headers],
        "http_body": data or None,
        "http_on_cancel": on_cancel,
    })
    return msg


def stop_request(pods: Sequence[PodRef], reason: str | None,
                 cancel_grace: Seconds | None, term_grace: Seconds | None,
                 wait: bool) -> dict[str, Any]:
    """The stop request (see Client.stop())."""
    return {"type": "stop", "pods": _refs(pods), "reason": reason,
            "cancel_grace_ms": _ms("cancel_grace", cancel_grace),
            "term_grace_ms": _ms("term_grace", term_grace), "wait": wait}


def logs_request(pod: PodRef, follow: bool, from_seq: int | None,
                 tail: int | None) -> dict[str, Any]:
    """The logs request (see Client.logs()); tail 0 is resolved by the
    caller, since on the wire it means everything."""
    for name, value in (("from_seq", from_seq), ("tail", tail)):
        if value is not None and (isinstance(value, bool) or
                                  not isinstance(value, int) or value < 0):
            raise ValueError(f"{name} is a non-negative int")
    return {"type": "logs", "pod": _ref(pod), "follow": follow or None,
            "from": from_seq or None, "tail": tail or None}


def send_request(pod: PodRef, data: str | bytes, priority: str,
                 key: str | None, preempt: bool) -> dict[str, Any]:
    """The send request (see Client.send())."""
    if priority not in PRIORITIES:
        raise ValueError(f"priority is one of {', '.join(PRIORITIES)}")
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if not isinstance(raw, bytes):
        raise TypeError("a message is a str or bytes")
    return {"type": "send", "pod": _ref(pod), "data": raw,
            "priority": None if priority == "normal" else priority,
            "key": key, "preempt": True if preempt else None}


def missing_check(end: Mapping[str, Any], records: list[dict[str, Any]]) \
        -> list[dict[str, Any]]:
    """Raise NotFound if the end lists pods not found; else the records."""
    missing = _wire.get_strv(end, "missing")
    if missing:
        raise NotFound("no such pod: " + ", ".join(missing),
                       missing=missing, records=records)
    return records


def result_value(ref: PodRef, msgs: list[dict[str, Any]]) -> Any:
    """The result in an inspect reply; NoResult when the pod set none."""
    if not msgs or msgs[0].get("result") is None:
        raise NoResult(f"pod {ref} has set no result")
    return _result(msgs[0])


class Reply:
    """Collects one request's reply: records, then one of the final types.

    feed() returns True once the reply is complete; an error reply raises
    its typed exception.
    """

    def __init__(self, final: tuple[str, ...]) -> None:
        self.final = final
        self.records: list[dict[str, Any]] = []
        self.last: dict[str, Any] = {}

    def feed(self, msg: dict[str, Any]) -> bool:
        kind = msg["type"]
        if kind == "error":
            raise error_for_code(_wire.need(msg, "code"),
                                 _wire.need(msg, "message"))
        if kind in self.final:
            self.last = msg
            return True
        if kind in ("pod", "entry") and "end" in self.final:
            self.records.append(msg)
            return False
        raise ProtocolError(f"unexpected '{kind}' message from podvisord")

    def pods(self, inspect: bool = False) -> list[dict[str, Any]]:
        """The pod records, converted; NotFound for missing pods."""
        recs = [pod_record(m, inspect) for m in self.records]
        return missing_check(self.last, recs) if self.last.get("type") == \
            "end" else recs


def connect_error(path: str, e: OSError) -> PodvisorError:
    """The exception for a failed connect, as podctl words it."""
    if isinstance(e, PermissionError):
        return PermissionDenied(f"permission denied on {path}: {e.strerror}"
                                " (use your own podvisord, or join the"
                                " socket's group, e.g. podvisor)")
    why = e.strerror or str(e)
    return Unreachable(f"cannot reach podvisord at {path}: {why} (is it"
                       " running? start it with podvisord, or pass"
                       " socket=PATH)")


# --- the connection ----------------------------------------------------------


class _Conn:
    """One blocking-with-deadlines connection to podvisord, hello done."""

    def __init__(self, path: str, timeout: float | None) -> None:
        self.path = path
        self.reader = _wire.FrameReader()
        self.sock: _socket.socket | None = None
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(path)
        except _socket.timeout:
            sock.close()
            raise Unreachable(f"cannot reach podvisord at {path}: no"
                              " answer to the connect") from None
        except OSError as e:
            sock.close()
            raise connect_error(path, e) from None
        sock.setblocking(False)
        self.sock = sock
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            self.send(_wire.hello(), deadline)
            first = self.recv(deadline)
            try:
                _wire.check_hello(first, "podvisord")
            except ProtocolError as e:
                self.send(_wire.protocol_error(str(e)), deadline)
                raise
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    # A Client used for one call and dropped closes its socket quietly.
    __del__ = close

    def stale(self) -> bool:
        """Has podvisord closed this idle connection (or sent something)?"""
        if self.sock is None:
            return True
        return bool(select.select([self.sock], [], [], 0)[0])

    def _poll(self, events: int, deadline: float | None) -> None:
        assert self.sock is not None
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            raise Timeout("podvisord did not answer in time")
        poller = select.poll()
        poller.register(self.sock, events)
        if not poller.poll(None if left is None else int(left * 1000) + 1):
            raise Timeout("podvisord did not answer in time")

    def send(self, msg: dict[str, Any], deadline: float | None) -> None:
        data = memoryview(_wire.encode(msg))
        while data:
            if self.sock is None:
                raise Unreachable("the connection to podvisord is"
                                  " closed")
            try:
                n = self.sock.send(data, _socket.MSG_NOSIGNAL)
                data = data[n:]
            except (BlockingIOError, InterruptedError):
                self._poll(select.POLLOUT, deadline)
            except OSError as e:
                raise Unreachable(f"lost the connection to podvisord"
                                  f" at {self.path}: {e.strerror}")

    def recv(self, deadline: float | None) -> dict[str, Any]:
        while True:
            msg = self.reader.take()
            if msg is not None:
                return msg
            if self.sock is None:
                raise Unreachable("the connection to podvisord is"
                                  " closed")
            try:
                data = self.sock.recv(_CHUNK)
            except (BlockingIOError, InterruptedError):
                self._poll(select.POLLIN, deadline)
                continue
            except OSError as e:
                data, why = b"", f": {e.strerror}"
            else:
                why = ""
            if not data:
                raise Unreachable(f"lost the connection to podvisord"
                                  f" at {self.path} before its reply"
                                  f" ended{why} (did it exit?)")
            self.reader.feed(data)


# --- the client ---------------------------------------------------------------


class Client:
    """A client of podvisord's control socket, doing what podctl does.

    socket defaults to default_socket(); timeout bounds connecting and every
    reply that comes at once (wait, stop, pause and logs take their own).
    One connection is opened on first use and reused; the methods return
    plain dicts shaped like ``podctl --json`` output.  Not thread-safe.

    Example::

        client = podvisor.Client()
        pod_id = client.spawn(["sleep", "60"], name="nap")
    """

    def __init__(self, socket: str | os.PathLike[str] | None = None,
                 timeout: float | None = REQUEST_TIMEOUT) -> None:
        self.socket = os.fspath(socket) if socket is not None \
            else default_socket()
        self.timeout = timeout
        self._conn: _Conn | None = None

    def __repr__(self) -> str:
        return f"<podvisor.Client socket={self.socket!r}>"

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (the next call opens a new one).

        Example::

            client = podvisor.Client()
            client.status(); client.close()
        """
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> _Conn:
        if self._conn is not None and self._conn.stale():
            self.close()
        if self._conn is None:
            self._conn = _Conn(self.socket, self.timeout)
        return self._conn

    def _call(self, msg: dict[str, Any], final: tuple[str, ...] = ("end",),
              timeout: float | None | bool = True) -> Reply:
        """Send a request and collect its reply; timeout True: the
        client's own."""
        limit = self.timeout if timeout is True else timeout
        deadline = None if limit is None else time.monotonic() + limit
        conn = self._connection()
        reply = Reply(final)
        try:
            conn.send(msg, deadline)
            while not reply.feed(conn.recv(deadline)):
                pass
        except PodvisorError as e:
            if e.code is None or e.code == "protocol":
                self.close()    # the connection is not at a reply boundary
            raise
        except BaseException:
            self.close()
            raise
        return reply

    def spawn(self, argv: Sequence[str], *, name: str | None = None,
              parent: PodRef | None = None,
              cwd: str | os.PathLike[str] | None = None,
              env: Mapping[str, str] | Iterable[str] | None = None,
              inherit_env: bool = False,
              cancel_grace: Seconds | None = None,
              term_grace: Seconds | None = None,
              stop_signal: int | str | None = None,
              timeout: Seconds | None = None,
              on_parent_exit: str | None = None,
              heartbeat: Seconds | None = None,
              max_extend: Seconds | None = None,
              limits: Mapping[str, int] | None = None,
              restart: str | None = None,
              max_restarts: int | None = None,
              restart_delay: Seconds | None = None) -> int:
        """Start a pod; return its id.

        As ``podctl spawn``: parent defaults to $PODVISOR_POD (this
        process's own pod, inside one), else top level; env adds to the
        clean environment (a mapping, or "K=V" strings), inherit_env starts
        from this process's; cwd
        defaults to the current directory; durations are seconds;
        stop_signal is a number or a name; on_parent_exit is "stop" or
        "orphan"; limits maps nofile, nproc, as, cpu to numbers;
        restart is "no" (default), "on-failure" or "always", with
        max_restarts (default 5) and restart_delay, the first wait in
        seconds (default 1), as ``--restart``, ``--max-restarts`` and
        ``--restart-delay``.

        Example::

            pod_id = client.spawn(["sh", "-c", "echo hi"], name="greeter")
            client.wait(pod_id)
        """
        msg = spawn_request(
            argv, name=name, parent=parent, cwd=cwd, env=env,
            inherit_env=inherit_env, cancel_grace=cancel_grace,
            term_grace=term_grace, stop_signal=stop_signal, timeout=timeout,
            on_parent_exit=on_parent_exit, heartbeat=heartbeat,
            max_extend=max_extend, limits=limits, restart=restart,
            max_restarts=max_restarts, restart_delay=restart_delay)
        return _spawned(self._call(msg, ("ok",)))

    def spawn_http(self, url: str, *, method: str | None = None,
                   headers: Mapping[str, str] | Iterable[str] | None = None,
                   data: str | bytes | None = None,
                   on_cancel: str | None = None, **options: Any) -> int:
        """Start an HTTP pod: one request made by the pod runtime; return
        its id.

        As ``podctl spawn --http``: method defaults to GET, or POST with
        data; headers is a mapping or "Name: value" strings (credential
        headers are redacted in the log and records); on_cancel is
        "finish" (the request may complete within the cancel grace) or
        "abort".  Takes Client.spawn()'s other options (name, parent,
        timeout, cancel_grace, term_grace, …).  A bad URL, method or
        header raises InvalidRequest before anything is created.

        Example::

            pod_id = client.spawn_http("https://api.example/v1/chat",
                                       headers={"Authorization": key},
                                       data=json.dumps(prompt))
        """
        return _spawned(self._call(spawn_http_request(
            url, method=method, headers=headers, data=data,
            on_cancel=on_cancel, **options), ("ok",)))

    def stop(self, *pods: PodRef, reason: str | None = None,
             cancel_grace: Seconds | None = None,
             term_grace: Seconds | None = None, wait: bool = True,
             timeout: float | None = None) -> list[dict[str, Any]]:
        """Stop pods and their subtrees; with wait, return their records
        once all are terminal (each named pod, then its subtree).

        Example::

            for rec in client.stop("crawler", reason="deploy"):
                print(rec["id"], rec["state"])
        """
        msg = stop_request(pods, reason, cancel_grace, term_grace, wait)
        return self._call(msg, timeout=timeout if wait else True).pods()

    def kill(self, pod: PodRef, signal: int | str = "TERM") -> None:
        """Send a signal to the pod's workload process group now.

        Example::

            client.kill("crawler", "KILL")
            client.kill(7, 10)  # SIGUSR1
        """
        self._call({"type": "kill", "pod": _ref(pod),
                    "signal": parse_signal(signal)}, ("ok",))

    def wait(self, *pods: PodRef, tree: bool = False,
             timeout: float | None = None) -> list[dict[str, Any]]:
        """Block until the pods (with tree: their subtrees) are terminal;
        return their records.  Timeout when timeout seconds pass first.

        Example::

            [rec] = client.wait(pod_id)
            print(rec["state"], rec["exit_code"])
        """
        msg = {"type": "wait", "pods": _refs(pods), "tree": tree or None}
        return self._call(msg, timeout=timeout).pods()

    def status(self, pod: PodRef | None = None, all: bool = False) \
            -> Any:
        """The pod tree, as podctl status --json: a list of root pods with
        their children nested; with pod, that pod's subtree (terminal pods
        included) as one dict.

        Example::

            for root in client.status(all=True):
                print(root["id"], root["state"], len(root["children"]))
        """
        msg = {"type": "status", "pod": None if pod is None else _ref(pod),
               "all": True if all or pod is not None else None}
        return _status(pod, self._call(msg))

    def inspect(self, pod: PodRef) -> dict[str, Any]:
        """Everything known about one pod, as podctl inspect: children as
        ids, ``result`` parsed from JSON (None when unset).

        Example::

            rec = client.inspect("crawler")
            print(rec["state"], rec["children"])
        """
        return _inspected(self._call({"type": "inspect", "pod": _ref(pod)}))

    def logs(self, pod: PodRef, follow: bool = False,
             from_seq: int | None = None,
             tail: int | None = None) -> Iterator[dict[str, Any]]:
        """The pod's segment log: an iterator of {seq, ts, kind, data}
        entries (data base64, with "encoding": "base64", when not UTF-8).

        follow goes on until the pod is terminal and its log drained;
        from_seq starts at that entry, tail at the last tail entries
        (tail=0: only entries still to come).  Uses its own connection.

        Example::

            for entry in client.logs("crawler", follow=True):
                print(entry["kind"], entry["data"])
        """
        msg = logs_request(pod, follow, from_seq, tail)
        if tail == 0:
            last = self.inspect(pod)["log_seq"]
            msg["from"], msg["tail"] = max(from_seq or 0, last + 1), None
        return self._stream(msg)

    def _stream(self, msg: dict[str, Any]) -> Iterator[dict[str, Any]]:
        conn = _Conn(self.socket, self.timeout)
        try:
            conn.send(msg, None)
            reply = Reply(("end",))
            while not reply.feed(conn.recv(None)):
                yield entry_record(reply.records.pop())
        finally:
            conn.close()

    def send(self, pod: PodRef, data: str | bytes, priority: str = "normal",
             key: str | None = None, preempt: bool = False) -> int:
        """Deliver a notify message to the pod; return its log seq.

        Example::

            seq = client.send("agent", "summarise the thread",
                              priority="high")
        """
        reply = self._call(send_request(pod, data, priority, key, preempt),
                           ("ok",))
        return _wire.get_uint(reply.last, "seq")

    def pause(self, *pods: PodRef, wait: bool = True,
              timeout: float | None = None) -> list[dict[str, Any]]:
        """Pause pods and their subtrees; with wait, return once every pod
        of them is paused (their records, as far as podvisord sends them).

        Example::

            client.pause("agent")
            client.resume("agent")
        """
        msg = {"type": "pause", "pods": _refs(pods), "wait": wait}
        return self._call(msg, ("end", "ok"),
                          timeout=timeout if wait else True).pods()

    def resume(self, *pods: PodRef) -> list[dict[str, Any]]:
        """Resume paused pods and their subtrees.

        Example::

            client.pause("agent", wait=False)
            client.resume("agent")
        """
        msg = {"type": "resume", "pods": _refs(pods)}
        return self._call(msg, ("end", "ok")).pods()

    def result(self, pod: PodRef) -> Any:
        """The JSON value the pod's workload set; NoResult if it set none.

        Example::

            client.wait("agent")
            answer = client.result("agent")
        """
        reply = self._call({"type": "inspect", "pod": _ref(pod)})
        return result_value(pod, reply.records)

    def rm(self, *pods: PodRef) -> list[dict[str, Any]]:
        """Forget terminal pods and their terminal subtrees, deleting their
        logs; return the records removed (children first).

        Example::

            client.wait(pod_id)
            client.rm(pod_id)
        """
        return self._call({"type": "rm", "pods": _refs(pods)}).pods()


def _spawned(reply: Reply) -> int:
    pod_id = _wire.get_uint(reply.last, "id")
    if pod_id == 0:
        raise ProtocolError("podvisord answered spawn without an id")
    return pod_id


def _status(pod: PodRef | None, reply: Reply) -> Any:
    missing_check(reply.last, [])
    roots = pod_forest(reply.records)
    if pod is None:
        return roots
    if len(roots) != 1:
        raise NotFound(f"no such pod: {pod}")
    return roots[0]


def _inspected(reply: Reply) -> dict[str, Any]:
    pods = reply.pods(inspect=True)
    if len(pods) != 1:
        raise ProtocolError(f"podvisord answered inspect with {len(pods)}"
                            " records")
    return pods[0]
