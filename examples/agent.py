#!/usr/bin/python3
"""An agent run as a pod, the way the pod API is meant to be used.

It works through a plan of steps, each a (simulated) LLM call; between
steps it calls check(), so a stop reaches it as a cancel at the next step
boundary -- never as a signal in the middle of a call.  It hands part of
the work to two sub-agents, child pods running this same program, and
collects their results through child events instead of polling.  On a
stop it saves its progress and sets a result saying how far it got.

    podctl spawn -n agent -- python3 examples/agent.py --steps 20
    podctl status                # agent and its two sub-agents, with status
    podctl stop agent            # the current steps finish; all end stopped
    podctl result agent

Options: --steps N (default 10), --step-seconds S (default 0.5), --url URL
(make each step a real HTTP GET of URL instead of a sleep), --sub NAME (run
as a sub-agent; used by the agent itself).
"""

import argparse
import json
import os
import sys
import time
import urllib.request

import podvisor


def call_llm(step: int, args: argparse.Namespace) -> str:
    """One unit of work: here a sleep, or a real HTTP request."""
    if args.url:
        with urllib.request.urlopen(args.url, timeout=30) as reply:
            return f"step {step}: HTTP {reply.status}"
    time.sleep(args.step_seconds)
    return f"step {step}: done"


def work(pod: podvisor.Pod, args: argparse.Namespace, who: str,
         answers: list[str]) -> None:
    """The plan: check() at every boundary, report status, log each step;
    the answers so far are kept in answers, whatever happens."""
    for step in range(1, args.steps + 1):
        pod.check()                         # raises Stopped once cancelled
        pod.set_status(f"{who}: step {step} of {args.steps}",
                       step / args.steps)
        answers.append(call_llm(step, args))
        pod.log("step done", step=step, who=who)


def spawn_subagents(pod: podvisor.Pod, args: argparse.Namespace) -> list[int]:
    """Two sub-agents, each a child pod running this program."""
    env = {"PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    return [pod.spawn([sys.executable, __file__, "--sub", f"sub-{n}",
                       "--steps", str(args.steps),
                       "--step-seconds", str(args.step_seconds)],
                      name=f"{pod.name or pod.id}-sub-{n}", env=env)
            for n in (1, 2)]


def collect(pod: podvisor.Pod, children: list[int]) -> dict[str, object]:
    """Wait for the sub-agents to end, through child events."""
    results: dict[str, object] = {}
    while len(results) < len(children):
        ev = pod.next_child_event(timeout=60)
        if ev is None:
            break
        if ev.event == "ended" and ev.id in children:
            results[ev.name or str(ev.id)] = {"state": ev.state,
                                              "result": ev.result}
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--step-seconds", type=float, default=0.5)
    parser.add_argument("--url")
    parser.add_argument("--sub")
    args = parser.parse_args()
    pod = podvisor.attach()
    who = args.sub or "agent"
    children = [] if args.sub else spawn_subagents(pod, args)
    answers: list[str] = []
    outcome = "complete"
    try:
        work(pod, args, who, answers)
    except podvisor.Stopped as stop:        # a cancel, at a step boundary
        outcome = f"stopped ({stop.reason})"
        pod.log("saving state before exiting", level="warning",
                reason=stop.reason, requested_by=stop.requested_by)
    result = {"who": who, "outcome": outcome, "steps_done": len(answers)}
    if children:
        result["sub_agents"] = collect(pod, children)
    pod.set_result(result)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
