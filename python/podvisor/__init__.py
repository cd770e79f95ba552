"""podvisor: the Python client of the podvisor process supervisor.

Two halves, each synchronous here and awaitable in podvisor.aio:

The pod API, inside a pod -- attach() opens the workload's own channel to
its pod runtime and returns its Pod.  The workload hears a stop as a
cancel at its own step boundaries (Pod.check() raises Stopped; nothing is
ever raised in the middle of a call), may ask for more time (extend),
writes log entries, reports a status and progress, sends heartbeats, sets
a result, reads the messages sent to it (next_message: Message) and hears
of its child pods (next_child_event: ChildEvent).  check() costs a clock
read when nothing is pending: it reads the channel at most every 250 us.

The control socket, anywhere -- Client does what podctl does: spawn,
stop, kill, wait, status, inspect, logs (follow=True iterates as entries
come), send, pause, resume, result, rm.  Records are the dicts of
``podctl --json``.

Errors: every exception is a PodvisorError carrying podctl's exit status
for the same failure (.exit_status): NoSuchPod (also NotFound, 3),
Unreachable (a ConnectionFailed, 4), PermissionDenied (5), InvalidRequest
(2), OperationFailed, NoResult, Refused, Timeout (1); ProtocolError;
NotInPod outside a pod; Stopped and Interrupted at a step boundary.

Example::

    pod = podvisor.attach()
    try:
        for step in plan:
            pod.check(); run(step)
    except podvisor.Stopped as stop:
        pod.set_result({"stopped": stop.reason})
"""

from ._client import Client, PodRef, Seconds, default_socket
from ._pod import HANDLES, Cancel, ChildEvent, Message, Pod, attach
from ._wire import PROTOCOL_VERSION
from .errors import (ConnectionFailed, InvalidRequest, Interrupted, NoResult,
                     NoSuchPod, NotFound, NotInPod, OperationFailed,
                     PermissionDenied, PodvisorError, ProtocolError, Refused,
                     Stopped, Timeout, Unreachable)

__all__ = [
    "attach", "HANDLES", "Pod", "Cancel", "Message", "ChildEvent",
    "Client", "default_socket", "PodRef", "Seconds", "PROTOCOL_VERSION",
    "PodvisorError", "NotInPod", "Stopped", "Interrupted", "Refused",
    "ProtocolError", "ConnectionFailed", "Unreachable", "Timeout",
    "OperationFailed", "InvalidRequest", "NoSuchPod", "NotFound", "NoResult",
    "PermissionDenied",
]
