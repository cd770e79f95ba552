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

With --http URL each LLM step is an HTTP pod: a child pod whose workload
is one POST of the step's prompt (JSON) to URL, made by podvisor itself
(pod.spawn_http), that the agent waits for and whose stdout (the response
body) is the step's answer.  The call is then supervised, logged and
stoppable like any pod: `podctl logs agent-step-3` shows the response as
it streams, and a stop of the agent reaches the call in flight at once,
as --on-cancel says: "finish" (the default) lets it complete within the
cancel grace (its whole body is logged and becomes the step's answer),
"abort" ends it there (what came so far is kept).  Either way the agent
ends stopped at its next step boundary, after that step.

    podctl spawn -n agent -- python3 examples/agent.py --steps 5 \
        --http https://llm.example/v1/complete --on-cancel abort
    podctl status                # agent, agent-step-N (an HTTP pod), ...

Options: --steps N (default 10), --step-seconds S (default 0.5), --url URL
(make each step a real HTTP GET of URL, made by the agent, instead of a
sleep), --http URL (each step an HTTP pod POSTing to URL, see above),
--on-cancel finish|abort (with --http), --header 'Name: value' (with
--http, repeatable: e.g. an Authorization header, which podvisor redacts
in the log), --sub NAME (run as a sub-agent; used by the agent itself).
"""

import argparse
import json
import os
import sys
import time
import urllib.request

import podvisor


def call_llm_pod(pod: podvisor.Pod, step: int, args: argparse.Namespace,
                 who: str) -> str:
    """One LLM call as an HTTP pod, a child of this pod: spawn it, wait
    for it to end, and answer with its response body (its stdout).  A
    stop of this pod reaches the call at once; this wait then ends as
    the call does (finished or aborted, by --on-cancel)."""
    prompt = json.dumps({"who": who, "step": step, "of": args.steps,
                         "prompt": f"Do step {step} of the plan."})
    call = pod.spawn_http(args.http, method="POST", data=prompt,
                          headers=["Content-Type: application/json",
                                   *args.header],
                          on_cancel=args.on_cancel,
                          name=f"{pod.name or pod.id}-step-{step}")
    with podvisor.Client() as client:
        [rec] = client.wait(call, timeout=None)
        body = "".join(e["data"] for e in client.logs(call)
                       if e["kind"] == "stdout" and "encoding" not in e)
    pod.log("llm call ended", step=step, pod=call, state=rec["state"],
            http_status=(rec.get("http") or {}).get("status"),
            bytes=len(body))
    return f"step {step}: {rec['state']}: {body}"


def call_llm(pod: podvisor.Pod, step: int, args: argparse.Namespace,
             who: str) -> str:
    """One unit of work: a sleep, a real HTTP request, or an HTTP pod."""
    if args.http:
        return call_llm_pod(pod, step, args, who)
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
        answers.append(call_llm(pod, step, args, who))
        pod.log("step done", step=step, who=who)


def spawn_subagents(pod: podvisor.Pod, args: argparse.Namespace) -> list[int]:
    """Two sub-agents, each a child pod running this program."""
    env = {"PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    http = ["--http", args.http, "--on-cancel", args.on_cancel] \
        if args.http else []
    for h in args.header:
        http += ["--header", h]
    return [pod.spawn([sys.executable, __file__, "--sub", f"sub-{n}",
                       "--steps", str(args.steps),
                       "--step-seconds", str(args.step_seconds), *http],
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
    parser.add_argument("--url", help="each step a GET of URL, made by"
                        " the agent itself")
    parser.add_argument("--http", metavar="URL", help="each step an HTTP"
                        " pod, a child, POSTing the step's prompt to URL")
    parser.add_argument("--on-cancel", choices=("finish", "abort"),
                        default="finish", help="with --http: what a stop"
                        " does to the call in flight (default finish)")
    parser.add_argument("--header", action="append", default=[],
                        metavar="'NAME: VALUE'", help="with --http: a"
                        " request header (repeatable)")
    parser.add_argument("--sub", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.url and args.http:
        parser.error("--url and --http: give one of them")
    pod = podvisor.attach()
    who = args.sub or "agent"
    children = [] if args.sub else spawn_subagents(pod, args)
    answers: list[str] = []
    outcome, status = "complete", 0
    try:
        work(pod, args, who, answers)
    except podvisor.Stopped as stop:        # a cancel, at a step boundary
        outcome = f"stopped ({stop.reason})"
        pod.log("saving state before exiting", level="warning",
                reason=stop.reason, requested_by=stop.requested_by)
    except podvisor.InvalidRequest as e:    # --http URL refused
        outcome, status = f"failed: {e}", 1
        print(f"agent.py: {e}", file=sys.stderr)
    result = {"who": who, "outcome": outcome, "steps_done": len(answers)}
    if children:
        result["sub_agents"] = collect(pod, children)
    pod.set_result(result)
    print(json.dumps(result), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
