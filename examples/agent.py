#!/usr/bin/python3
"""An agent run as a pod: it works in steps, hears a stop as a cancel at
its next step boundary (never in the middle of a step), reports its
progress, and leaves a result.

    podctl spawn -n agent -- python3 examples/agent.py 20
    podctl status            # agent ... [step 3 of 20, 15%]
    podctl stop agent        # the current step finishes; the pod ends stopped
    podctl result agent
"""

import sys
import time

import podvisor


def step(n: int) -> str:
    """One unit of work: an LLM call, a tool run (here: a short sleep)."""
    time.sleep(0.2)
    return f"answer {n}"


def main() -> int:
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    pod = podvisor.attach()
    answers = []
    try:
        for n in range(1, steps + 1):
            pod.check()                 # raises Stopped once cancelled
            pod.set_status(f"step {n} of {steps}", n / steps)
            answers.append(step(n))
            pod.log("step done", step=n)
    except podvisor.Stopped as stop:
        pod.log("stopping", level="warning", reason=stop.reason)
    pod.set_result({"answers": answers, "complete": len(answers) == steps})
    return 0


sys.exit(main())
