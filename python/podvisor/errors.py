"""The exceptions of the podvisor package: one base class, typed children.

Every exception the package raises on purpose is a :class:`PodvisorError`;
its ``str()`` is one line saying what went wrong.  Errors that podvisord
or a pod runtime sent keep the wire's error code in ``.code``; every class
carries podctl's exit status for the same failure in ``.exit_status``
(1 failed, 2 usage, 3 no such pod, 4 podvisord unreachable, 5 permission
denied), so a program wrapping Client can exit as podctl would.  Bad
arguments caught before anything is sent raise the built-in ``ValueError``
or ``TypeError`` instead.

Example::

    try: podvisor.Client().inspect("web")
    except podvisor.NotFound as e: print(e)
"""

from __future__ import annotations

from typing import Any, Sequence

__all__ = [
    "PodvisorError",
    "NotInPod",
    "Stopped",
    "Interrupted",
    "Refused",
    "ProtocolError",
    "ConnectionFailed",
    "Unreachable",
    "Timeout",
    "OperationFailed",
    "InvalidRequest",
    "NoSuchPod",
    "NotFound",
    "NoResult",
    "PermissionDenied",
    "error_for_code",
]


class PodvisorError(Exception):
    """The base of every podvisor exception; ``.code`` is the wire code or None.

    ``.exit_status`` is the exit status podctl gives the same failure (1
    unless a subclass says otherwise).

    Example::

        try: pod.extend(30)
        except podvisor.PodvisorError as e: sys.exit(e.exit_status)
    """

    code: str | None
    exit_status: int = 1

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class NotInPod(PodvisorError):
    """attach() was called outside a pod (no usable PODVISOR_API_FD).

    Example::

        try: pod = podvisor.attach()
        except podvisor.NotInPod: pod = None
    """


class Stopped(PodvisorError):
    """The pod was cancelled: raised by every check() once it has been.

    ``.reason`` is the stop reason (``user``, ``timeout``, ``parent-stopped``
    …), ``.requested_by`` who asked (``user alice``, ``parent 12`` …) and
    ``.deadline`` the time.time() at which SIGTERM comes.

    Example::

        try: pod.check()
        except podvisor.Stopped as e: save_and_exit(e.reason)
    """

    reason: str
    requested_by: str
    deadline: float | None

    def __init__(self, reason: str, requested_by: str = "",
                 deadline: float | None = None) -> None:
        text = f"pod cancelled: {reason}"
        if requested_by:
            text += f" (requested by {requested_by})"
        super().__init__(text)
        self.reason = reason
        self.requested_by = requested_by
        self.deadline = deadline


class Interrupted(PodvisorError):
    """An interrupting message arrived: ``.message`` holds it.

    One sent with ``--preempt``, or a ``critical`` one when the pod was
    attached with "interrupt" among its handles: the "interrupt now" case,
    distinct from Stopped (the pod goes on).

    check() raises it once per such message that the library has already
    received (one that next_message() has not handed out yet); the message
    is then delivered through the exception rather than next_message().

    Example::

        try: pod.check()
        except podvisor.Interrupted as e: replan(e.message.data)
    """

    message: Any  # a podvisor.Message; typed loosely to avoid an import cycle

    def __init__(self, message: Any) -> None:
        preempted = ", ".join(str(p) for p in message.preempted)
        super().__init__(f"interrupted by message {message.seq}"
                         f" (preempted pods: {preempted or 'none'})")
        self.message = message


class Refused(PodvisorError):
    """The pod runtime refused a request (an extend beyond its bounds).

    Example::

        try: pod.extend(60, why="saving state")
        except podvisor.Refused as e: print("no extension:", e)
    """


class ProtocolError(PodvisorError):
    """The peer broke the wire protocol, or speaks another version of it.

    podctl exits 4 (cannot talk to podvisord) for it.

    Example::

        try: client.status()
        except podvisor.ProtocolError as e: sys.exit(f"podvisord: {e}")
    """

    exit_status = 4


class ConnectionFailed(PodvisorError):
    """A channel could not be opened, or it closed or stalled mid-way.

    The pod API channel raises it as it is; the control socket raises its
    subclass Unreachable.

    Example::

        try: pod.heartbeat()
        except podvisor.ConnectionFailed: pass  # the runtime closed the API
    """

    exit_status = 4


class Unreachable(ConnectionFailed):
    """podvisord cannot be reached: no socket, nobody listening, or the
    connection lost before the reply ended (podctl's exit status 4).

    Example::

        try: podvisor.Client("/nonexistent.sock").status()
        except podvisor.Unreachable as e: print(e)
    """


class Timeout(PodvisorError, TimeoutError):
    """A call given a timeout did not complete within it.

    Example::

        try: client.wait(7, timeout=30)
        except podvisor.Timeout: client.stop(7)
    """


class OperationFailed(PodvisorError):
    """podvisord could not carry out a well-formed request (code ``failed``).

    Example::

        try: client.rm(7)
        except podvisor.OperationFailed as e: print(e)  # not terminal yet
    """


class InvalidRequest(PodvisorError, ValueError):
    """The request was malformed or a value out of range (code ``usage``).

    Example::

        try: client.spawn(["true"], name="no spaces allowed")
        except podvisor.InvalidRequest as e: print(e)
    """

    exit_status = 2


class NoSuchPod(PodvisorError):
    """No such pod (code ``not-found``); also known as NotFound.

    When a request named several pods and only some were missing, the
    others were acted on: ``.missing`` lists the refs not found and
    ``.records`` holds what the request returned for the rest.

    Example::

        try: client.stop("a", "b")
        except podvisor.NoSuchPod as e: print("missing:", e.missing)
    """

    exit_status = 3
    missing: list[str]
    records: list[dict[str, Any]]

    def __init__(self, message: str, code: str | None = "not-found",
                 missing: Sequence[str] = (),
                 records: Sequence[dict[str, Any]] = ()) -> None:
        super().__init__(message, code)
        self.missing = list(missing)
        self.records = list(records)


NotFound = NoSuchPod
"""The same class as NoSuchPod (its first name, kept)."""


class NoResult(NoSuchPod):
    """The pod exists but its workload set no result.

    podctl result exits 1 for it, so ``.exit_status`` is 1; it derives from
    NoSuchPod because either way there is no value to read.

    Example::

        try: value = client.result(7)
        except podvisor.NoResult: value = None
    """

    exit_status = 1


class PermissionDenied(PodvisorError):
    """The caller may not act on that pod, or reach the socket (``denied``).

    Example::

        try: client.stop(1)
        except podvisor.PermissionDenied as e: print(e)
    """

    exit_status = 5


_BY_CODE: dict[str, type[PodvisorError]] = {
    "failed": OperationFailed,
    "usage": InvalidRequest,
    "not-found": NotFound,
    "denied": PermissionDenied,
    "protocol": ProtocolError,
    "refused": Refused,
}


def error_for_code(code: str, message: str) -> PodvisorError:
    """The exception for a wire error code; an unknown code reads as failed.

    Example::

        exc = podvisor.errors.error_for_code("not-found", "no such pod: 9")
        assert isinstance(exc, podvisor.NotFound)
    """
    return _BY_CODE.get(code, OperationFailed)(message, code=code)
