"""Pod trees through the pod API, three levels deep: results travel up
through child events, and a stop gives no pod a deadline later than its
parent's.  Each test runs with the synchronous and the asyncio package."""

import pytest

from conftest import wait_for

FLAVOURS = pytest.mark.parametrize("aio", [False, True], ids=["sync", "aio"])


def subtree(client, root):
    """The ids of root's subtree, parents first."""
    ids, todo = [], [root]
    while todo:
        pod = todo.pop(0)
        ids.append(pod)
        todo += client.inspect(pod)["children"]
    return ids


@FLAVOURS
def test_results_travel_up_three_levels(pods, client, aio):
    root = pods.workload("tree", 2, aio=aio)
    [rec] = client.wait(root, timeout=60)
    assert rec["state"] == "succeeded"
    top, kid, grandkid = subtree(client, root)
    leaf = {"level": 0, "id": grandkid}
    middle = client.result(kid)
    # The grandchild's result reached the child in its ended event ...
    assert middle["child"] == leaf
    assert middle["events"] == [
        ["spawned", grandkid, f"level-0-{kid}", middle["events"][0][3]],
        ["ended", grandkid, f"level-0-{kid}", "succeeded"]]
    assert (middle["child_state"], middle["child_exit"]) == ("succeeded", 0)
    assert middle["spawned"] == grandkid
    # ... and the child's result, holding it, reached the root.
    result = client.result(root)
    assert (result["level"], result["id"], result["spawned"]) == \
        (2, root, kid)
    assert result["child"] == middle
    assert [e[0] for e in result["events"]] == ["spawned", "ended"]
    assert result["events"][-1] == ["ended", kid, f"level-1-{root}",
                                    "succeeded"]
    assert client.result(grandkid) == leaf


@FLAVOURS
def test_tree_stop_gives_children_earlier_deadlines(pods, client, aio):
    root = pods.workload("stoptree", 2, aio=aio, cancel_grace=6)

    def opened():
        ids = subtree(client, root)
        return len(ids) == 3 and all(client.inspect(p)["api"] for p in ids)
    wait_for(opened, "three pods with the pod API open", timeout=30)
    for pod in subtree(client, root):
        pods.fact(pod, "ready")
    recs = client.stop(root, reason="deploy", timeout=60)
    assert {r["state"] for r in recs} == {"stopped"}
    top = client.result(root)
    mid = top["child"]
    leaf = mid["child"]
    assert (top["reason"], mid["reason"], leaf["reason"]) == \
        ("deploy", "parent-stopped", "parent-stopped")
    assert top["requested_by"].startswith("user ")
    assert mid["requested_by"] == f"parent {root}"
    assert leaf["requested_by"] == f"parent {mid['id']}"
    # Every pod heard its cancel with a deadline before its parent's, so
    # the parent has time left to record how its children ended.
    assert leaf["deadline"] < mid["deadline"] < top["deadline"]
    assert (mid["child_state"], top["child_state"]) == ("stopped", "stopped")
