"""Restart policies through the Python client: Client.spawn's restart=,
max_restarts= and restart_delay= reach podvisord, the record shows the
policy and the count as podctl --json does, and a bad policy is refused
before anything is sent."""

import pytest

import podvisor

from conftest import wait_for


class TestRestart:
    def test_on_failure_runs_again_then_stays_failed(self, client, pods,
                                                     daemon):
        pod = pods.spawn(["sh", "-c", "exit 3"], restart="on-failure",
                         max_restarts=2, restart_delay=0.05)
        [rec] = client.wait(pod)
        assert (rec["state"], rec["exit_code"], rec["restarts"]) == \
            ("failed", 3, 2)
        ours = client.inspect(pod)
        assert (ours["restart"], ours["max_restarts"],
                ours["restart_delay_ms"], ours["restart_at"]) == \
            ("on-failure", 2, 50, None)
        theirs = daemon.podctl_json("inspect", str(pod))
        for key in ("restart", "max_restarts", "restart_delay_ms",
                    "restarts", "restart_wait_ms", "restart_at"):
            assert ours[key] == theirs[key], key
        kinds = [e["kind"] for e in pods.entries(pod)]
        assert kinds.count("restart") == 2
        assert kinds.count("start") == 3

    def test_restarting_shows_when_and_stop_wins(self, client, pods):
        pod = pods.spawn(["sh", "-c", "exit 0"], restart="always",
                         restart_delay=30)
        wait_for(lambda: pods.state_is(pod, "restarting"),
                 f"pod {pod} to be restarting")
        rec = client.inspect(pod)
        assert rec["restart_at"].endswith("Z") and rec["pid"] is None
        [rec] = client.stop(pod, reason="enough")
        assert (rec["state"], rec["reason"], rec["restarts"]) == \
            ("stopped", "enough", 0)

    def test_no_policy_by_default(self, client, pods):
        pod = pods.spawn(["sh", "-c", "exit 1"])
        [rec] = client.wait(pod)
        assert (rec["state"], rec["restart"], rec["restarts"]) == \
            ("failed", "no", 0)

    def test_bad_values_are_refused(self, client):
        with pytest.raises(ValueError):
            client.spawn(["true"], restart="sometimes")
        with pytest.raises(ValueError):
            client.spawn(["true"], max_restarts=-1)
        with pytest.raises(podvisor.PodvisorError):
            client.spawn(["true"], restart="always", restart_delay=0)
