"""The pod API as a workload sees it, through a real pod runtime: every
call of podvisor.Pod, and of podvisor.aio.AsyncPod (each test runs both).

The workloads are tests/python/workload.py; they report what they saw as
JSON lines on stdout, read back here from the segment log.
"""

import json
import os
import tempfile
import time

import pytest

import podvisor
from conftest import wait_for

FLAVOURS = pytest.mark.parametrize("aio", [False, True], ids=["sync", "aio"])
SLACK = 0.05    # seconds: wall-clock deadlines computed on two clocks


def kinds(entries):
    return [e["kind"] for e in entries]


def data_of(entries, kind):
    return [e["data"] for e in entries if e["kind"] == kind]


@FLAVOURS
def test_attach_report_and_cancel_as_a_message(pods, client, aio):
    name = "basics-aio" if aio else "basics-sync"
    pod = pods.workload("basics", aio=aio, name=name, cancel_grace=5)
    seen = pods.fact(pod, "attached")
    assert (seen["id"], seen["name"], seen["parent"]) == (pod, name, None)
    assert seen["env_fd"] is None       # taken out of the environment
    assert seen["deadline"] is None     # no --timeout, no stop yet
    assert (seen["cancelled"], seen["cancel"]) == (False, False)
    assert seen["same"]                 # a second attach(): the same pod
    pods.fact(pod, "ready")
    # The status reaches podvisord through the runtime's coalesced report,
    # not through the log that said ready: wait for it.
    wait_for(lambda: client.inspect(pod)["status_text"] is not None,
             "the status report")
    rec = client.inspect(pod)
    assert rec["api"] is True
    assert (rec["status_text"], rec["progress"]) == ("working", 0.5)
    assert rec["heartbeat_at"] is not None
    assert rec["cancel_acked_at"] is None
    logged = data_of(pods.entries(pod), "log")
    assert len(logged) == 1 and logged[0].startswith("[warning] started ")
    assert json.loads(logged[0].split(" ", 2)[2]) == \
        {"step": 1, "who": "basics"}

    before = time.time()
    [rec] = client.stop(pod, reason="enough", timeout=30)
    after = time.time()
    assert (rec["state"], rec["reason"]) == ("stopped", "enough")
    said = pods.fact(pod, "stopped")
    assert said["reason"] == "enough"
    assert said["requested_by"].startswith("user ")
    assert before + 5 - SLACK <= said["deadline"] <= after + 5 + SLACK
    assert said["cancelled"] is True and said["waited"] is True
    assert said["cancel"] == ["enough", said["requested_by"],
                              said["deadline"]]
    assert said["pod_deadline"] == said["deadline"]
    rec = client.inspect(pod)
    assert rec["cancel_acked_at"] is not None
    result = client.result(pod)
    assert result["stopped"] == "enough" and result["steps"] > 0
    entries = pods.entries(pod)
    assert "cancel" in kinds(entries) and "ack" in kinds(entries)
    assert kinds(entries).index("cancel") < kinds(entries).index("ack")
    # The cancel was a message: no stop signal was sent.
    assert not [d for d in data_of(entries, "signal") if "SIG" in d]


@FLAVOURS
def test_cancel_during_a_long_step_ends_after_it(pods, client, aio):
    pod = pods.workload("llmstep", 2, aio=aio)
    pods.fact(pod, "step-start")
    [rec] = client.stop(pod, timeout=30)
    assert rec["state"] == "stopped"
    facts = pods.facts(pod)
    ends = [f for f in facts if f["fact"] == "step-end"]
    # The step in flight finished naturally; the next boundary raised.
    assert ends and ends[-1]["cancelled"] is True
    stopped = [f for f in facts if f["fact"] == "stopped"]
    assert stopped == [{"fact": "stopped", "reason": "user",
                        "after": ends[-1]["n"], "signals": []}]


@FLAVOURS
def test_extend_within_and_beyond_max_extend(pods, client, aio):
    # 3 s in all: 1 and 1.5 are granted, 1 more is refused whole (not cut
    # to 0.5), and then 0.5 is granted.
    pod = pods.workload("extend", 1, 1.5, 1, 0.5, aio=aio, cancel_grace=2,
                        max_extend=3)
    pods.fact(pod, "ready")
    [rec] = client.stop(pod, timeout=30)
    assert rec["state"] == "stopped"
    facts = pods.facts(pod)
    base = next(f for f in facts if f["fact"] == "cancelled")["deadline"]
    answers = [f for f in facts if f["fact"] in ("granted", "refused")]
    assert [(f["fact"], f["seconds"]) for f in answers] == \
        [("granted", 1.0), ("granted", 1.5), ("refused", 1.0),
         ("granted", 0.5)]
    granted = [f for f in answers if f["fact"] == "granted"]
    for f, total in zip(granted, (1.0, 2.5, 3.0)):
        assert abs(f["deadline"] - (base + total)) < SLACK
        assert f["pod_deadline"] == f["cancel"] == f["deadline"]
    assert "max-extend" in answers[2]["error"]
    assert answers[2]["code"] == "refused"
    logged = data_of(pods.entries(pod), "extend")
    assert [d.split(" ")[0] for d in logged] == \
        ["granted", "granted", "refused", "granted"]
    assert "(need 1.5s)" in logged[1]


@FLAVOURS
def test_extend_never_beyond_the_parent_deadline(pods, client, aio):
    # The parent ignores its stop signal, so it stays in its cancel stage
    # until its own deadline (4 s); the child (2 s of its own) may be
    # granted time up to it, not past it, however large its --max-extend.
    parent = pods.spawn(["sh", "-c", "trap '' INT; while :; do sleep 0.05;"
                         " done"], cancel_grace=4, term_grace=2)
    pods.running(parent)
    kid = pods.workload("extend", 0.5, 5, aio=aio, parent=parent,
                        cancel_grace=2, max_extend=60)
    pods.fact(kid, "ready")
    recs = client.stop(parent, timeout=30)
    states = {r["id"]: r["state"] for r in recs}
    assert states == {parent: "terminated", kid: "stopped"}
    answers = [(f["fact"], f["seconds"]) for f in pods.facts(kid)
               if f["fact"] in ("granted", "refused")]
    assert answers == [("granted", 0.5), ("refused", 5.0)]
    refused = [f for f in pods.facts(kid) if f["fact"] == "refused"][0]
    assert f"parent pod {parent}" in refused["error"]


@FLAVOURS
def test_heartbeat_timeout_ends_a_silent_pod(pods, client, aio):
    # 60 heartbeats 50 ms apart outlast the 2 s heartbeat: the pod is
    # stopped only once it goes silent.  (2 s leaves a loaded machine time
    # to start Python before the first one.)
    pod = pods.workload("heartbeat", 60, aio=aio, heartbeat=2)
    [rec] = client.wait(pod, timeout=30)
    assert (rec["state"], rec["reason"]) == ("stopped", "heartbeat-timeout")
    facts = [f["fact"] for f in pods.facts(pod)]
    assert facts == ["silent", "stopped"]
    said = pods.fact(pod, "stopped")
    assert said["reason"] == "heartbeat-timeout"
    assert client.inspect(pod)["heartbeat_at"] is not None


@FLAVOURS
def test_messages_in_priority_order(pods, client, aio):
    with tempfile.TemporaryDirectory() as where:
        go = os.path.join(where, "go")
        pod = pods.workload("inbox", go, 6, aio=aio)
        pods.fact(pod, "ready")
        seqs = {}
        for data, priority, key in (("a", "low", None), ("b", "normal", None),
                                    ("c", "high", None),
                                    ("d", "critical", None),
                                    ("e", "normal", None),
                                    ("f1", "normal", "k"),
                                    ("f2", "normal", "k")):
            seqs[data] = client.send(pod, data, priority=priority, key=key)
        open(go, "w").close()
        [rec] = client.wait(pod, timeout=30)
    assert rec["state"] == "succeeded"
    got = [(f["data"], f["priority"], f["key"], f["seq"], f["preempted"])
           for f in pods.facts(pod) if f["fact"] == "message"]
    # Most urgent first, oldest first within a priority; f2 replaced f1.
    assert got == [(d, p, k, seqs[d], []) for d, p, k in
                   (("d", "critical", None), ("c", "high", None),
                    ("b", "normal", None), ("e", "normal", None),
                    ("f2", "normal", "k"), ("a", "low", None))]


@FLAVOURS
def test_pause_and_resume_as_the_workload_sees_them(pods, client, aio):
    pod = pods.workload("pausable", aio=aio)
    wait_for(lambda: len(data_of(pods.entries(pod), "log")) >= 3,
             "a few steps")
    client.pause(pod, timeout=30)
    assert client.inspect(pod)["state"] == "paused"
    # Paused for a while: the pod neither ends nor steps.
    with pytest.raises(podvisor.Timeout):
        client.wait(pod, timeout=0.3)
    client.resume(pod)
    wait_for(lambda: pods.state_is(pod, "running"), "the resume")
    paused = len(data_of(pods.entries(pod), "log"))
    wait_for(lambda: len(data_of(pods.entries(pod), "log")) > paused + 2,
             "steps after the resume")
    [rec] = client.stop(pod, timeout=30)
    assert rec["state"] == "stopped"
    entries = pods.entries(pod)
    signals = data_of(entries, "signal")
    assert "paused: the workload confirmed" in signals
    assert not [s for s in signals if "SIGSTOP" in s]
    # The workload confirmed the pause inside check(), and check() did not
    # return before the resume: no step between the two entries.
    text = [(e["kind"], e["data"]) for e in entries]
    start = text.index(("signal", "paused: the workload confirmed"))
    end = text.index(("signal", "resumed"))
    assert start < end
    assert [k for k, _ in text[start:end] if k == "log"] == []
    assert [k for k, _ in text[end:] if k == "log"]


@FLAVOURS
def test_a_pod_may_not_stop_a_pod_outside_its_subtree(pods, client, aio):
    other = pods.spawn(["sleep", "60"])
    pods.running(other)
    pod = pods.workload("denied", other, aio=aio)
    [rec] = client.wait(pod, timeout=30)
    assert rec["state"] == "succeeded"
    said = pods.fact(pod, "denied")
    assert (said["code"], said["exit_status"]) == ("denied", 5)
    assert pods.fact(pod, "own") == {"fact": "own", "id": pod,
                                     "state": "running"}
    assert client.inspect(other)["state"] == "running"


@FLAVOURS
def test_a_burst_of_log_entries_lands_whole_before_the_exit(pods, client,
                                                            aio):
    pod = pods.workload("logburst", 20000, aio=aio)
    [rec] = client.wait(pod, timeout=60)
    assert rec["state"] == "succeeded"
    entries = pods.entries(pod)
    assert data_of(entries, "log") == [f"[info] entry {i}"
                                       for i in range(20000)]
    assert entries[-1]["kind"] == "exit"
