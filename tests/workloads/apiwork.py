#!/usr/bin/python3
"""apiwork MODE [ARG...]: a workload of the pod API tests, written with
the podvisor package as an agent author would.  Each mode prints what it
saw on stdout, one line per fact, for the test to check.

  steps               work in 50 ms steps until cancelled, then set a result
  deaf                open the API (handling cancel) and never look at it
  extend MS... [hold] once cancelled, ask for each MS in turn, then end
                      (with hold: wait to be killed)
  heartbeat N         heartbeat N times, 50 ms apart, then go silent
  result JSON         set the result given (raw JSON text), then end
  bigresult           try a result of over 64 KiB
  children            spawn two children, report their events, then end
  messages N          print the data of N messages, then end
  nohandle            attach handling nothing; sleep until signalled
  inbox FILE N        wait for FILE to exist, then attach and print N
                      messages (priority and data)
  preemptee           spawn two child subtrees (one two levels deep),
                      then print the next message and its children's ends
  interruptible       sleep in 30 s boundaries; print each Interrupted
  burst N             write N log entries as fast as it can, then exit
"""
import os

import json
import sys
import time

import podvisor


def say(*words):
    print(*words, flush=True)


def steps(pod):
    n = 0
    try:
        while True:
            pod.check()
            n += 1
            pod.set_status(f"step {n}", min(n / 100, 1.0))
            time.sleep(0.05)
    except podvisor.Stopped as stop:
        say("stopped", stop.reason, "by", stop.requested_by)
        pod.set_result({"steps": n, "reason": stop.reason})


def deaf(pod):
    while True:
        time.sleep(1)


def extend(pod, *amounts):
    pod.wait_cancel()
    say("cancelled", pod.cancel.reason)
    hold = amounts[-1:] == ("hold",)
    for ms in amounts[:-1] if hold else amounts:
        try:
            deadline = pod.extend(int(ms) / 1000, why=f"need {ms}ms")
            say("granted", ms, round(deadline - time.time(), 1))
        except podvisor.Refused as refused:
            say("refused", ms, refused)
    while hold:
        time.sleep(1)


def heartbeat(pod, n):
    for _ in range(int(n)):
        pod.heartbeat()
        time.sleep(0.05)
    say("silent")
    while True:
        time.sleep(1)


def result(pod, text):
    pod.set_result(json.loads(text))
    say("result set")


def bigresult(pod):
    try:
        pod.set_result("x" * (70 * 1024))
        say("accepted")
    except ValueError as err:
        say("refused:", err)


def children(pod):
    ok = pod.spawn(["sh", "-c", "exit 0"], name="kid-ok")
    bad = pod.spawn(["sh", "-c", "exit 3"], name="kid-bad")
    ends = 0
    while ends < 2:
        ev = pod.next_child_event(timeout=20)
        if ev is None:
            say("timed out")
            return
        say("child", ev.id == ok and "ok" or ev.id == bad and "bad" or "?",
            ev.event, ev.state, ev.exit_code)
        ends += ev.event == "ended"


def messages(pod, n):
    for _ in range(int(n)):
        msg = pod.next_message(timeout=20)
        say("message", msg.seq, msg.priority, repr(msg.data))


def nohandle(pod):
    while True:
        time.sleep(1)


def inbox(pod, n):
    for _ in range(int(n)):
        msg = pod.next_message(timeout=20)
        say("message", msg.priority, msg.data)


def preemptee(pod):
    mid = pod.spawn([sys.executable, __file__, "spawner"], name="mid",
                    env={"PYTHONPATH": os.environ.get("PYTHONPATH", "")})
    leaf = pod.spawn(["sleep", "60"], name="leaf")
    for _ in range(2):
        pod.next_child_event(timeout=20)        # both spawned
    say("children", mid, leaf)
    msg = pod.next_message(timeout=30)
    say("message", msg.data, "preempted", *msg.preempted)
    ends = {}
    while len(ends) < 2:
        ev = pod.next_child_event(timeout=30)
        if ev.event == "ended":
            ends[ev.id] = (ev.state, ev.reason)
    for pid in (mid, leaf):
        say("ended", pid, *ends[pid])
    say("still running")
    while True:
        pod.check()
        time.sleep(0.05)


def spawner(pod):
    pod.spawn(["sleep", "60"], name="grandchild")
    while True:
        time.sleep(1)


def interruptible(pod):
    while True:
        try:
            pod.sleep(30)
        except podvisor.Interrupted as it:
            say("interrupted", it.message.priority, it.message.data)


def burst(pod, n):
    for i in range(int(n)):
        pod.log(f"entry {i}")


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "inbox":
        while not os.path.exists(args[0]):
            time.sleep(0.02)
        args = args[1:]
    if mode == "nohandle":
        pod = podvisor.attach(handles=())
    elif mode == "interruptible":
        pod = podvisor.attach(handles=podvisor.HANDLES + ("interrupt",))
    else:
        pod = podvisor.attach()
    say("attached", pod.id, pod.name, pod.parent)
    globals()[mode](pod, *args)


main()
