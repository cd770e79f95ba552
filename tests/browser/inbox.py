#!/usr/bin/python3
"""inbox.py: a workload of the console's browser test that opens the pod
API (handling cancel, notify and pause) and prints every message it
receives, one line each: "message PRIORITY: DATA".  Between messages it
calls check(), so a pause from the console is confirmed there (and waits
for the resume), and a stop ends it "stopped".  It says "attached" once
the API is open, and "stopped REASON" at the end.
"""
import podvisor


def main():
    pod = podvisor.attach()
    print("attached", flush=True)
    received = 0
    try:
        while True:
            pod.check()
            msg = pod.next_message(timeout=0.5)
            if msg is None:
                continue
            received += 1
            print(f"message {msg.priority}: {msg.data}", flush=True)
            pod.set_status(f"{received} message(s) received")
    except podvisor.Stopped as stop:
        print("stopped", stop.reason, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
