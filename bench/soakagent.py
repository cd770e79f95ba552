#!/usr/bin/python3
"""soakagent.py: the pod API workload of bench/soak.sh.

It works in short steps as an agent does: at each boundary it checks for a
cancel, logs an entry, sets its status and heartbeats, and reads its
messages.  A message "done" ends it with a result; "child" spawns a child
pod that sleeps; any other message is logged.  A stop reaches it as the
pod API's cancel, which it honours at the next boundary with a result.
"""
import sys

import podvisor


def main():
    pod = podvisor.attach()
    step = 0
    try:
        while True:
            pod.check()
            step += 1
            pod.log("step", level="debug", step=step)
            pod.set_status(f"step {step}", (step % 100) / 100)
            pod.heartbeat()
            msg = pod.next_message(timeout=0.05)
            if msg is None:
                continue
            if msg.data == "done":
                pod.set_result({"steps": step, "ended": "done"})
                return 0
            if msg.data == "child":
                pod.spawn(["sleep", "2"])
            else:
                pod.log("message", seq=msg.seq, priority=msg.priority)
    except podvisor.Stopped as stop:
        pod.set_result({"steps": step, "ended": stop.reason})
        return 0


if __name__ == "__main__":
    sys.exit(main())
