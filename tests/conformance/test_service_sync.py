"""Service sync from git: a service's spec file in a repository Baryon keeps drives the service —
changed instance inputs redeploy that instance only, an invalid spec blocks syncing until the
blocker is resolved — through real git and boto3."""

import pytest

from test_environments import notify
from test_services import SVC_SPEC, create_service, world  # noqa: F401 (fixture)
from test_template_sync import CONNECTION, git, push, wait_for

OPS = "sync:\n  services:\n    worker:\n      spec: ./worker/spec.yaml\n"
REPO = {"repositoryProvider": "GITHUB", "repositoryName": "acme/apps"}


@pytest.fixture()
def synced(server, proton, world, tmp_path):
    """Service `worker` deployed and ACTIVE, and a clone of a linked repository holding its
    ops file and spec, followed by a service sync config."""
    create_service(proton)
    for i in proton.list_service_instances(serviceName="worker")["serviceInstances"]:
        notify(proton, i)
    notify(proton, proton.get_service(name="worker")["service"]["pipeline"])
    proton.create_repository(provider="GITHUB", name="acme/apps", connectionArn=CONNECTION)
    work = tmp_path / "apps"
    git(tmp_path, "clone", "--quiet", str(server.data_dir / "repositories/github/acme/apps.git"), str(work))
    git(work, "checkout", "--quiet", "-b", "main")
    (work / "proton-ops.yaml").write_text(OPS)
    (work / "worker").mkdir()
    (work / "worker" / "spec.yaml").write_text(SVC_SPEC)
    push(work, "ops file and current spec")
    proton.create_service_sync_config(serviceName="worker", branch="main", filePath="proton-ops.yaml", **REPO)
    return work


def instance(proton, name):
    return proton.get_service_instance(serviceName="worker", name=name)["serviceInstance"]


def test_a_changed_instance_input_redeploys_only_that_instance(proton, synced):
    prod_before = instance(proton, "worker-prod")["lastAttemptedDeploymentId"]
    dev_before = instance(proton, "worker-dev")["lastAttemptedDeploymentId"]
    (synced / "worker" / "spec.yaml").write_text(SVC_SPEC.replace("batch_size: 5", "batch_size: 7"))
    sha = push(synced, "bigger batches")
    dev = wait_for(lambda: (i := instance(proton, "worker-dev"))["lastAttemptedDeploymentId"] != dev_before and i)
    assert dev["deploymentStatus"] == "IN_PROGRESS" and "batch_size: 7" in dev["spec"]
    assert instance(proton, "worker-prod")["lastAttemptedDeploymentId"] == prod_before
    status = proton.get_service_instance_sync_status(serviceName="worker", serviceInstanceName="worker-dev")
    assert status["latestSync"]["status"] == "SUCCEEDED"
    assert status["desiredState"]["sha"] == sha
    assert status["desiredState"]["directory"] == "worker/spec.yaml"


def test_a_new_instance_in_the_synced_spec_is_created(proton, synced):
    spec = SVC_SPEC + "  - name: \"worker-extra\"\n    environment: \"dev\"\n"
    (synced / "worker" / "spec.yaml").write_text(spec)
    push(synced, "one more")
    names = wait_for(lambda: (n := [i["name"] for i in proton.list_service_instances(serviceName="worker")[
        "serviceInstances"]]) and "worker-extra" in n and n)
    assert names == ["worker-dev", "worker-extra", "worker-prod"]


def test_an_invalid_spec_blocks_sync_until_resolved(proton, synced):
    (synced / "worker" / "spec.yaml").write_text(SVC_SPEC.replace("batch_size: 5", "batch_size: lots"))
    push(synced, "broken")
    blockers = wait_for(lambda: proton.get_service_sync_blocker_summary(serviceName="worker")[
        "serviceSyncBlockerSummary"]["latestBlockers"])
    assert [(b["type"], b["status"]) for b in blockers] == [("AUTOMATED", "ACTIVE")]
    assert "batch_size" in blockers[0]["createdReason"]
    dev_before = instance(proton, "worker-dev")["lastAttemptedDeploymentId"]
    (synced / "worker" / "spec.yaml").write_text(SVC_SPEC.replace("batch_size: 5", "batch_size: 9"))
    push(synced, "fixed")
    import time
    time.sleep(2.5)  # blocked: nothing is synced
    assert instance(proton, "worker-dev")["lastAttemptedDeploymentId"] == dev_before
    resolved = proton.update_service_sync_blocker(id=blockers[0]["id"], resolvedReason="fixed the spec")
    assert resolved["serviceSyncBlocker"]["status"] == "RESOLVED"
    dev = wait_for(lambda: (i := instance(proton, "worker-dev"))["lastAttemptedDeploymentId"] != dev_before and i)
    assert "batch_size: 9" in dev["spec"]
