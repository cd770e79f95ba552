"""workload.py [--aio] MODE [ARG...]: a pod of the Python package's tests.

Each mode uses the pod API as an agent would and prints what it saw on
stdout, one JSON object a line with a "fact" key, for the test to read back
from the segment log.  Every mode is written once, as a coroutine, against
``pod``: with --aio that is the podvisor.aio.AsyncPod itself; without, a
thin wrapper whose coroutines call the synchronous podvisor.Pod (so the
loop is blocked in them, as a synchronous program would be).

  basics              attach, report identity, status, log, heartbeat;
                      step until cancelled, then set a result
  llmstep SECONDS     steps of one simulated LLM call each (a sleep), with
                      check() between them; notes any SIGINT
  extend SECONDS...   once cancelled, ask for each extension in turn
  heartbeat N         N heartbeats 50 ms apart, then silence
  inbox FILE N        once FILE exists, read N messages
  tree DEPTH          spawn a child running tree DEPTH-1 (none at 0), wait
                      for its end and set a result holding the child's
  stoptree DEPTH      as tree, but wait for the cancel first and report
                      its deadline (in the result, with the child's)
  pausable            log a step after every check() until cancelled
  denied POD          try to stop POD (outside this pod's subtree)
  logburst N          write N log entries as fast as it can, then exit
"""

import asyncio
import json
import os
import signal
import sys
import time

import podvisor
import podvisor.aio

SELF = os.path.abspath(__file__)


def say(fact, **data):
    print(json.dumps({"fact": fact, **data}), flush=True)


class SyncPod:
    """podvisor.Pod's calls as coroutines that run them synchronously."""

    def __init__(self, pod):
        self.pod = pod

    def __getattr__(self, name):
        value = getattr(self.pod, name)
        if not callable(value):
            return value

        async def call(*args, **kw):
            return value(*args, **kw)
        return call

    def __getattribute__(self, name):
        # Properties are read through, not wrapped.
        if name in ("id", "name", "parent", "cancelled", "cancel",
                    "deadline", "closed"):
            return getattr(object.__getattribute__(self, "pod"), name)
        return object.__getattribute__(self, name)


class SyncClient:
    """podvisor.Client's calls as coroutines that run them synchronously."""

    def __init__(self):
        self.client = podvisor.Client()

    def __getattr__(self, name):
        fn = getattr(self.client, name)

        async def call(*args, **kw):
            return fn(*args, **kw)
        return call


async def nap(aio, seconds):
    if aio:
        await asyncio.sleep(seconds)
    else:
        time.sleep(seconds)


def child_argv(*args):
    return [sys.executable, SELF] + (["--aio"] if AIO else []) + \
        [str(a) for a in args]


CHILD_ENV = {"PYTHONPATH": os.environ.get("PYTHONPATH", "")}


async def basics(pod):
    again = await podvisor.aio.attach() if AIO else podvisor.attach()
    say("attached", id=pod.id, name=pod.name, parent=pod.parent,
        env_fd=os.environ.get("PODVISOR_API_FD"), deadline=pod.deadline,
        cancelled=pod.cancelled, cancel=pod.cancel is not None,
        same=again is (pod if AIO else pod.pod))
    await pod.check()
    await pod.set_status("working", progress=0.5)
    await pod.log("started", level="warning", step=1, who="basics")
    await pod.heartbeat()
    say("ready")
    n = 0
    try:
        while True:
            await pod.check()
            n += 1
            await nap(AIO, 0.02)
    except podvisor.Stopped as e:
        c = pod.cancel
        say("stopped", reason=e.reason, requested_by=e.requested_by,
            deadline=e.deadline, cancelled=pod.cancelled,
            cancel=[c.reason, c.requested_by, c.deadline],
            pod_deadline=pod.deadline, waited=await pod.wait_cancel(0),
            now=time.time())
        await pod.set_result({"stopped": e.reason, "steps": n})


async def llmstep(pod, seconds):
    signals = []
    signal.signal(signal.SIGINT, lambda n, f: signals.append(n))
    say("ready")
    n = 0
    try:
        while True:
            await pod.check()
            n += 1
            say("step-start", n=n)
            await nap(AIO, float(seconds))      # the LLM call
            say("step-end", n=n, cancelled=pod.cancelled)
    except podvisor.Stopped as e:
        say("stopped", reason=e.reason, after=n, signals=signals)


async def extend(pod, *amounts):
    say("ready")
    await pod.wait_cancel()
    say("cancelled", deadline=pod.cancel.deadline, now=time.time())
    for seconds in amounts:
        try:
            deadline = await pod.extend(float(seconds),
                                        why=f"need {seconds}s")
            say("granted", seconds=float(seconds), deadline=deadline,
                pod_deadline=pod.deadline, cancel=pod.cancel.deadline)
        except podvisor.Refused as e:
            say("refused", seconds=float(seconds), error=str(e),
                code=e.code)
    say("done")


async def heartbeat(pod, n):
    for _ in range(int(n)):
        await pod.heartbeat()
        await nap(AIO, 0.05)
    say("silent")
    await pod.wait_cancel()
    say("stopped", reason=pod.cancel.reason,
        requested_by=pod.cancel.requested_by)


async def inbox(pod, path, n):
    say("ready")
    while not os.path.exists(path):
        await nap(AIO, 0.02)
    for _ in range(int(n)):
        msg = await pod.next_message(timeout=20)
        if msg is None:
            say("no-message")
            return
        data = msg.data if isinstance(msg.data, str) else \
            "bytes:" + msg.data.hex()
        say("message", seq=msg.seq, priority=msg.priority, key=msg.key,
            data=data, preempted=list(msg.preempted))


async def next_ended(pod, events):
    """Child events up to the first end (recorded in events)."""
    while True:
        ev = await pod.next_child_event(timeout=60)
        if ev is None:
            raise SystemExit("no child event within 60 s")
        events.append([ev.event, ev.id, ev.name, ev.state])
        if ev.event == "ended":
            return ev


async def tree(pod, depth):
    depth = int(depth)
    if depth == 0:
        await pod.set_result({"level": 0, "id": pod.id})
        return
    kid = await pod.spawn(child_argv("tree", depth - 1), env=CHILD_ENV,
                          name=f"level-{depth - 1}-{pod.id}")
    events = []
    ev = await next_ended(pod, events)
    await pod.set_result({"level": depth, "id": pod.id, "spawned": kid,
                          "events": events, "child": ev.result,
                          "child_state": ev.state,
                          "child_exit": ev.exit_code})


async def stoptree(pod, depth):
    depth = int(depth)
    events = []
    if depth > 0:
        await pod.spawn(child_argv("stoptree", depth - 1), env=CHILD_ENV)
    say("ready")
    await pod.wait_cancel()
    c = pod.cancel
    said = {"id": pod.id, "deadline": c.deadline, "reason": c.reason,
            "requested_by": c.requested_by}
    say("cancel", **said)
    if depth > 0:
        ev = await next_ended(pod, events)
        said["child"] = ev.result
        said["child_state"] = ev.state
    await pod.set_result(said)


async def pausable(pod):
    n = 0
    try:
        while True:
            await pod.check()
            n += 1
            await pod.log(f"step {n}")
            await nap(AIO, 0.02)
    except podvisor.Stopped:
        say("stopped", steps=n)


async def denied(pod, other):
    client = podvisor.aio.AsyncClient() if AIO else SyncClient()
    try:
        await client.stop(int(other))
        say("allowed")
    except podvisor.PermissionDenied as e:
        say("denied", error=str(e), code=e.code, exit_status=e.exit_status)
    mine = await client.inspect(pod.id)
    say("own", id=mine["id"], state=mine["state"])


async def logburst(pod, n):
    for i in range(int(n)):
        await pod.log(f"entry {i}")


MODES = {"basics": basics, "logburst": logburst, "llmstep": llmstep, "extend": extend,
         "heartbeat": heartbeat, "inbox": inbox, "tree": tree,
         "stoptree": stoptree, "pausable": pausable, "denied": denied}


async def main(mode, args):
    pod = await podvisor.aio.attach() if AIO else SyncPod(podvisor.attach())
    await MODES[mode](pod, *args)


if __name__ == "__main__":
    AIO = sys.argv[1:2] == ["--aio"]
    argv = sys.argv[2:] if AIO else sys.argv[1:]
    asyncio.run(main(argv[0], argv[1:]))
