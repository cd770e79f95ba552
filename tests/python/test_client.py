"""Integration tests of podvisor.Client and podvisor.aio.AsyncClient.

They run against the private podvisord of conftest.py (the ``daemon``
fixture) with real workloads; ``pods`` spawns them and stops what is left.
Waits poll a condition against a deadline.
"""

import asyncio
import os
import sys
import tempfile
import textwrap

import pytest

import podvisor
import podvisor.aio
from conftest import SRCDIR, TERMINAL, WORKLOAD, wait_for


class TestLifecycle:
    def test_spawn_wait_and_logs(self, client, pods):
        pod = pods.spawn(["sh", "-c", "echo out; printf '\\377' >&2; exit 3"],
                         name="exit-three")
        assert isinstance(pod, int)
        [rec] = client.wait(pod)
        assert (rec["id"], rec["name"], rec["state"], rec["exit_code"],
                rec["signal"]) == (pod, "exit-three", "failed", 3, None)
        assert (rec["stop_signal"], rec["on_parent_exit"]) == \
            ("SIGINT", "stop")
        assert rec["ended_at"].endswith("Z")
        entries = pods.entries(pod)
        assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
        kinds = [e["kind"] for e in entries]
        assert kinds[0] == "spawn"
        assert kinds[-1] == "exit"
        out = [e for e in entries if e["kind"] == "stdout"]
        err = [e for e in entries if e["kind"] == "stderr"]
        assert [e["data"] for e in out] == ["out\n"]
        assert [(e["data"], e["encoding"]) for e in err] == \
            [("/w==", "base64")]
        assert pods.entries(pod, tail=2) == entries[-2:]
        assert pods.entries(pod, from_seq=3) == entries[2:]
        assert client.inspect("exit-three")["id"] == pod

    def test_shapes_match_podctl_json(self, client, pods, daemon):
        pod = pods.spawn(["sh", "-c", "echo hi"], name="shape",
                         env={"K": "V"}, timeout=60, cancel_grace=3,
                         stop_signal="TERM")
        client.wait(pod)
        ours = client.inspect(pod)
        theirs = daemon.podctl_json("inspect", str(pod))
        for key, value in theirs.items():
            assert ours.get(key, "<missing>") == value, key
        assert (ours["timeout_ms"], ours["cancel_grace_ms"],
                ours["stop_signal"]) == (60000, 3000, "SIGTERM")
        assert list(client.logs(pod)) == \
            daemon.podctl_json("logs", str(pod))
        ours = client.status(pod)
        theirs = daemon.podctl_json("status", str(pod))
        assert {k: ours.get(k) for k in theirs} == theirs

    def test_status_forest_matches_podctl_json(self, client, pods, daemon):
        # podctl's --json text is rendered by podvisord; the package
        # builds its own from the records: both must say the same.
        root = pods.spawn(["sleep", "60"], name="forest")
        failed = pods.spawn(["sh", "-c", "exit 3"], parent=root)
        mid = pods.spawn(["sleep", "60"], parent=root, name="forest-mid")
        leaf = pods.spawn(["sh", "-c", "echo é; sleep 60"], parent=mid)
        client.wait(failed)
        for pod in (root, mid, leaf):
            pods.running(pod)

        def same(ours, theirs):
            assert {k: ours.get(k) for k in theirs if k != "children"} == \
                {k: v for k, v in theirs.items() if k != "children"}
            assert len(ours["children"]) == len(theirs["children"])
            for o, t in zip(ours["children"], theirs["children"]):
                same(o, t)

        for args, kw in ((("status", "--all"), {"all": True}),
                         (("status",), {})):
            theirs = daemon.podctl_json(*args)
            ours = client.status(**kw)
            assert [p["id"] for p in ours] == [p["id"] for p in theirs]
            for o, t in zip(ours, theirs):
                same(o, t)
        tree = daemon.podctl_json("status", str(root))
        assert [c["id"] for c in tree["children"]] == [failed, mid]
        assert tree["children"][0]["exit_code"] == 3
        assert [c["id"] for c in tree["children"][1]["children"]] == [leaf]
        same(client.status(root), tree)

    def test_env_cwd_and_pod_variables(self, client, pods):
        with tempfile.TemporaryDirectory() as where:
            pod = pods.spawn(["sh", "-c", 'echo "$FOO|$PODVISOR_POD"; pwd'],
                             env={"FOO": "bar baz"}, cwd=where)
            client.wait(pod)
            out = "".join(e["data"] for e in pods.entries(pod)
                          if e["kind"] == "stdout")
        assert out == f"bar baz|{pod}\n{os.path.realpath(where)}\n"

    def test_logs_follow_until_the_end(self, client, pods):
        pod = pods.spawn(["sh", "-c",
                          "for i in 1 2 3; do echo $i; sleep 0.1; done"])
        entries = list(client.logs(pod, follow=True))
        assert "".join(e["data"] for e in entries
                       if e["kind"] == "stdout") == "1\n2\n3\n"
        assert entries[-1]["kind"] == "exit"
        assert pods.state_is(pod, *TERMINAL)

    def test_logs_tail_zero_is_only_what_comes(self, client, pods):
        pod = pods.spawn(["sh", "-c", "echo early; exec sleep 60"])
        wait_for(lambda: any(e["kind"] == "stdout"
                             for e in pods.entries(pod)), "early output")
        stream = client.logs(pod, follow=True, tail=0)
        client.kill(pod, "KILL")
        entries = list(stream)
        assert "early\n" not in [e["data"] for e in entries]
        assert entries[-1]["kind"] == "exit"

    def test_timeout_stops_the_pod(self, client, pods):
        pod = pods.spawn(["sleep", "60"], timeout=0.3)
        [rec] = client.wait(pod, timeout=30)
        assert (rec["state"], rec["reason"]) == ("stopped", "timeout")


class TestStopKillSendRm:
    def test_tree_status_and_stop(self, client, pods):
        top = pods.spawn(["sleep", "60"], name="tree-top")
        kid = pods.spawn(["sleep", "60"], parent="tree-top")
        pods.running(top)
        pods.running(kid)
        sub = client.status("tree-top")
        assert sub["id"] == top
        assert [c["id"] for c in sub["children"]] == [kid]
        assert sub["children"][0]["parent"] == top
        roots = {r["id"]: r for r in client.status()}
        assert top in roots
        assert kid not in roots
        assert client.inspect(top)["children"] == [kid]
        recs = client.stop(top, reason="deploy")
        assert {r["id"] for r in recs} == {top, kid}
        for rec in recs:
            assert rec["state"] == "stopped"
            assert rec["stop_requested_at"] is not None
        assert recs[0]["reason"] == "deploy"
        assert top not in {r["id"] for r in client.status()}
        assert top in {r["id"] for r in client.status(all=True)}
        # Stopping a terminal pod is a success that reports its outcome.
        assert client.stop(top)[0]["state"] == "stopped"

    def test_stop_without_wait(self, client, pods):
        pod = pods.spawn(["sleep", "60"])
        pods.running(pod)
        assert client.stop(pod, wait=False) == []
        [rec] = client.wait(pod, timeout=30)
        assert (rec["state"], rec["reason"]) == ("stopped", "user")

    def test_term_grace_escalation(self, client, pods):
        pod = pods.spawn(["sh", "-c", "trap '' INT; while :; do sleep 0.05;"
                          " done"])
        pods.running(pod)
        [rec] = client.stop(pod, cancel_grace=0.2, term_grace=5,
                            timeout=30)
        assert (rec["state"], rec["signal"]) == ("terminated", "SIGTERM")

    def test_kill(self, client, pods):
        pod = pods.spawn(["sleep", "60"])
        pods.running(pod)
        client.kill(pod, "sigkill")
        [rec] = client.wait(pod, timeout=30)
        assert (rec["state"], rec["signal"]) == ("failed", "SIGKILL")
        with pytest.raises(podvisor.OperationFailed):
            client.kill(pod, 15)
        with pytest.raises(ValueError):
            client.kill(pod, "NOSUCH")

    def test_send(self, client, pods):
        pod = pods.spawn(["sleep", "60"])
        pods.running(pod)
        seq = client.send(pod, "hello there")
        assert seq > 0
        notes = [e for e in pods.entries(pod) if e["kind"] == "notify"]
        assert (seq, "hello there") in [(e["seq"], e["data"]) for e in notes]

    def test_rm(self, client, pods):
        pod = pods.spawn(["sleep", "60"])
        with pytest.raises(podvisor.OperationFailed):
            client.rm(pod)
        client.stop(pod)
        [rec] = client.rm(pod)
        assert rec["id"] == pod
        with pytest.raises(podvisor.NotFound):
            client.inspect(pod)
        pods.live.remove(pod)


class TestErrors:
    def test_not_found(self, client, pods):
        with pytest.raises(podvisor.NotFound, match="no-such-pod") as cm:
            client.inspect("no-such-pod")
        assert cm.value.code == "not-found"
        for call in (lambda: client.kill("no-such-pod"),
                     lambda: client.logs("no-such-pod").__next__(),
                     lambda: client.wait("no-such-pod"),
                     lambda: client.status("no-such-pod"),
                     lambda: client.spawn(["true"],
                                          parent="no-such-pod")):
            with pytest.raises(podvisor.NotFound):
                call()
        # The connection survives an error reply.
        assert isinstance(client.status(), list)

    def test_some_missing(self, client, pods):
        pod = pods.spawn(["true"])
        with pytest.raises(podvisor.NotFound) as cm:
            client.wait(pod, "gone-1", timeout=30)
        assert cm.value.missing == ["gone-1"]
        assert [r["id"] for r in cm.value.records] == [pod]

    def test_bad_names_and_values(self, client, pods):
        for name in ("bad name", "123", "x" * 65, ""):
            with pytest.raises(podvisor.InvalidRequest) as cm:
                client.spawn(["true"], name=name)
            assert isinstance(cm.value, ValueError)
        pods.spawn(["sleep", "60"], name="taken")
        with pytest.raises(podvisor.OperationFailed):
            client.spawn(["true"], name="taken")
        with pytest.raises(ValueError):
            client.spawn(["true"], timeout=-1)
        with pytest.raises(TypeError):
            client.spawn("true")

    def test_no_result(self, client, pods):
        pod = pods.spawn(["true"])
        client.wait(pod)
        with pytest.raises(podvisor.NoResult):
            client.result(pod)
        assert client.inspect(pod)["result"] is None

    def test_cannot_connect(self, client, pods):
        with tempfile.TemporaryDirectory() as where:
            with pytest.raises(podvisor.ConnectionFailed,
                               match="cannot reach podvisord"):
                podvisor.Client(os.path.join(where, "none.sock")).status()
            plain = os.path.join(where, "file")
            open(plain, "w").close()
            with pytest.raises(podvisor.ConnectionFailed) as cm:
                podvisor.Client(plain).status()
            # The control socket's failures say so, with podctl's status.
            assert isinstance(cm.value, podvisor.Unreachable)
            assert cm.value.exit_status == 4

    def test_wait_timeout_then_reuse(self, client, pods):
        pod = pods.spawn(["sleep", "60"])
        with pytest.raises(podvisor.Timeout):
            client.wait(pod, timeout=0.2)
        assert client.inspect(pod)["id"] == pod

    def test_default_socket_from_environment(self, client, pods, daemon):
        old = os.environ.get("PODVISOR_SOCKET")
        os.environ["PODVISOR_SOCKET"] = daemon.sock
        try:
            assert podvisor.default_socket() == daemon.sock
            assert isinstance(podvisor.Client().status(all=True), list)
        finally:
            if old is None:
                del os.environ["PODVISOR_SOCKET"]
            else:
                os.environ["PODVISOR_SOCKET"] = old


    def test_typed_errors_carry_podctl_exit_status(self, client, pods):
        with pytest.raises(podvisor.NoSuchPod) as cm:
            client.inspect("no-such-pod")
        assert podvisor.NoSuchPod is podvisor.NotFound
        assert cm.value.exit_status == 3
        with pytest.raises(podvisor.InvalidRequest) as cm:
            client.spawn(["true"], name="bad name")
        assert cm.value.exit_status == 2
        pod = pods.spawn(["sleep", "60"])
        with pytest.raises(podvisor.OperationFailed) as cm:
            client.rm(pod)
        assert cm.value.exit_status == 1
        for call in (lambda: client.pause("no-such-pod"),
                     lambda: client.resume("no-such-pod"),
                     lambda: client.send("no-such-pod", "x"),
                     lambda: client.rm("no-such-pod"),
                     lambda: client.stop("no-such-pod"),
                     lambda: client.result("no-such-pod")):
            with pytest.raises(podvisor.NoSuchPod):
                call()
        with pytest.raises(podvisor.NoResult) as cm:
            client.result(pod)
        assert cm.value.exit_status == 1       # as podctl result


class TestPause:
    def test_pause_and_resume(self, client, pods):
        pod = pods.spawn(["sleep", "60"])
        pods.running(pod)
        client.pause(pod, timeout=30)
        assert client.inspect(pod)["state"] == "paused"
        client.resume(pod)
        wait_for(lambda: pods.state_is(pod, "running"), "the resume")

    def test_a_subtree_pauses_and_resumes_whole(self, client, pods):
        top = pods.spawn(["sleep", "60"])
        kid = pods.spawn(["sleep", "60"], parent=top)
        pods.running(top)
        pods.running(kid)
        assert client.pause(top, wait=False) == []
        wait_for(lambda: all(pods.state_is(p, "paused") for p in (top, kid)),
                 "the whole subtree to pause")
        client.resume(top)
        wait_for(lambda: all(pods.state_is(p, "running") for p in (top, kid)),
                 "the whole subtree to resume")
        recs = client.stop(top, timeout=30)
        assert [r["id"] for r in client.wait(top, tree=True)] == \
            [r["id"] for r in recs]


class TestPodAPI:
    """The workload's side, through a real pod runtime."""

    WORKLOAD = textwrap.dedent("""
        import sys, podvisor
        try:
            pod = podvisor.attach()
        except podvisor.NotInPod:
            print("no-api"); sys.exit(0)
        pod.set_status("working", progress=0.5)
        pod.log("started", level="info", step=1)
        try:
            while True:
                pod.check()
                pod.wait_cancel(timeout=0.05)
        except podvisor.Stopped as e:
            pod.set_result({"stopped": e.reason})
            print("stopped:", e.reason)
    """)

    def test_cancel_is_a_message(self, client, pods):
        pod = pods.spawn([sys.executable, "-c", self.WORKLOAD],
                         env={"PYTHONPATH": str(SRCDIR / "python")})

        def started():
            out = "".join(e["data"] for e in pods.entries(pod)
                          if e["kind"] == "stdout")
            rec = client.inspect(pod)
            return "no-api" in out or rec["status_text"] == "working"
        wait_for(started, "the workload to open the API or say it cannot")
        rec = client.inspect(pod)
        assert rec["status_text"] == "working", \
            "the workload could not open the pod API"
        assert rec["api"]
        assert rec["progress"] == 0.5
        [rec] = client.stop(pod, reason="enough", timeout=30)
        assert rec["state"] == "stopped"
        assert client.inspect(pod)["cancel_acked_at"] is not None
        assert client.result(pod) == {"stopped": "enough"}
        kinds = [e["kind"] for e in pods.entries(pod)]
        assert "log" in kinds


class TestAsyncClient:
    """AsyncClient: every call of Client, awaited (one event loop each)."""

    def test_the_same_calls(self, daemon, pods):
        asyncio.run(self.the_same_calls(daemon.sock))

    async def the_same_calls(self, sock):
        async with podvisor.aio.AsyncClient(sock) as client:
            pod = await client.spawn(["sh", "-c", "echo async"],
                                     name="async-one")
            [rec] = await client.wait(pod, timeout=30)
            assert rec["state"] == "succeeded"
            out = [e["data"] async for e in client.logs(pod, follow=True)
                   if e["kind"] == "stdout"]
            assert out == ["async\n"]
            assert (await client.inspect("async-one"))["id"] == pod
            assert pod in [r["id"] for r in await client.status(all=True)]
            with pytest.raises(podvisor.NoResult):
                await client.result(pod)
            with pytest.raises(podvisor.NotFound):
                await client.inspect("no-such-pod")
            sleeper = await client.spawn(["sleep", "60"])
            with pytest.raises(podvisor.Timeout):
                await client.wait(sleeper, timeout=0.2)
            seq = await client.send(sleeper, b"\x00bytes")
            assert seq > 0
            [rec] = await client.stop(sleeper, timeout=30)
            assert rec["state"] in TERMINAL
            removed = await client.rm(pod, sleeper)
            assert {r["id"] for r in removed} == {pod, sleeper}
            setter = await client.spawn(
                [sys.executable, str(WORKLOAD), "--aio", "tree", "0"],
                env={"PYTHONPATH": str(SRCDIR / "python")})
            [rec] = await client.wait(setter, timeout=30)
            assert rec["state"] == "succeeded"
            assert await client.result(setter) == {"level": 0, "id": setter}
            assert (await client.inspect(setter))["result"] == \
                {"level": 0, "id": setter}
            await client.rm(setter)

    def test_kill_pause_resume_status_and_errors(self, daemon, pods):
        asyncio.run(self.kill_pause_resume(daemon.sock, pods))

    async def kill_pause_resume(self, sock, pods):
        async with podvisor.aio.AsyncClient(sock) as client:
            top = await client.spawn(["sleep", "60"], name="async-top")
            pods.live.append(top)
            kid = await client.spawn(["sleep", "60"], parent=top)
            for pod in (top, kid):
                pods.running(pod)
            sub = await client.status(top)
            assert [c["id"] for c in sub["children"]] == [kid]
            await client.pause(top, timeout=30)
            states = {(await client.inspect(p))["state"] for p in (top, kid)}
            assert states == {"paused"}
            await client.resume(top)
            wait_for(lambda: pods.state_is(kid, "running"), "the resume")
            tail = [e async for e in client.logs(kid, tail=1)]
            assert len(tail) == 1 and tail[0]["kind"] == "signal"
            await client.kill(kid, "KILL")
            [rec] = await client.wait(kid, timeout=30)
            assert (rec["state"], rec["signal"]) == ("failed", "SIGKILL")
            with pytest.raises(podvisor.OperationFailed):
                await client.rm(top)            # not terminal yet
            with pytest.raises(podvisor.NoSuchPod) as cm:
                await client.stop(top, "gone-async", timeout=30)
            assert cm.value.missing == ["gone-async"]
            assert {r["id"] for r in cm.value.records} == {top, kid}
            assert cm.value.exit_status == 3
            recs = await client.wait(top, tree=True, timeout=30)
            assert {r["id"]: r["state"] for r in recs} == \
                {top: "stopped", kid: "failed"}
            with pytest.raises(podvisor.InvalidRequest):
                await client.spawn(["true"], name="bad name")
            with pytest.raises(podvisor.NoSuchPod):
                await client.kill("no-such-pod")
            with pytest.raises(podvisor.NoSuchPod):
                await client.pause("no-such-pod")
            with pytest.raises(podvisor.NoSuchPod):
                await client.resume("no-such-pod")
            with pytest.raises(podvisor.NoSuchPod):
                await client.send("no-such-pod", "x")
            with pytest.raises(podvisor.NoSuchPod):
                await client.rm("no-such-pod")

    def test_cannot_connect(self):
        async def status():
            client = podvisor.aio.AsyncClient("/nonexistent/podvisor.sock")
            with pytest.raises(podvisor.ConnectionFailed) as cm:
                await client.status()
            assert isinstance(cm.value, podvisor.Unreachable)
            assert cm.value.exit_status == 4
        asyncio.run(status())
