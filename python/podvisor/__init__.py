"""podvisor: the Python client of the podvisor process supervisor.

Inside a pod, attach() opens the pod API, the workload's own channel: it
hears a cancel as a message, at its own step boundaries (check()), asks for
more time, logs, reports status and progress, sets a result, reads the
messages sent to it and hears of its child pods.  Anywhere, Client speaks
to podvisord's control socket as podctl does.  podvisor.aio has the same
calls for asyncio.  Every exception is a PodvisorError.

Example::

    pod = podvisor.attach()
    for step in plan: pod.check(); run(step)
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
