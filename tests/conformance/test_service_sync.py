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


# --- Proton's ops file: each instance follows its own spec file on its own branch ------------------

PROTON_OPS = """sync:
  services:
    worker:
      worker-dev:
        branch: dev
        spec: ./worker/dev/spec.yaml
      worker-prod:
        branch: prod
        spec: ./worker/prod/spec.yaml
"""
DEV_SPEC = """proton: ServiceSpec
pipeline:
  test_command: "cargo test"
instances:
  - name: "worker-dev"
    environment: "dev"
    spec:
      batch_size: 5
"""


def on_branch(work, branch, files, message):
    """Commits `files` on `branch` (created from main when new) and pushes it."""
    existing = git(work, "branch", "--list", branch)
    git(work, "checkout", "--quiet", *([branch] if existing else ["-b", branch, "main"]))
    for path, text in files.items():
        (work / path).parent.mkdir(parents=True, exist_ok=True)
        (work / path).write_text(text)
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", message)
    git(work, "push", "--quiet", "origin", branch)
    sha = git(work, "rev-parse", "HEAD")
    git(work, "checkout", "--quiet", "main")
    return sha


@pytest.fixture()
def per_instance(server, proton, world, tmp_path):
    """Service `worker` deployed and ACTIVE; a linked repository whose Proton ops file (on main)
    syncs worker-dev from branch dev and worker-prod from branch prod."""
    create_service(proton)
    for i in proton.list_service_instances(serviceName="worker")["serviceInstances"]:
        notify(proton, i)
    notify(proton, proton.get_service(name="worker")["service"]["pipeline"])
    proton.create_repository(provider="GITHUB", name="acme/apps", connectionArn=CONNECTION)
    work = tmp_path / "apps"
    git(tmp_path, "clone", "--quiet", str(server.data_dir / "repositories/github/acme/apps.git"), str(work))
    git(work, "checkout", "--quiet", "-b", "main")
    (work / "proton-ops.yaml").write_text(PROTON_OPS)
    push(work, "ops file")
    on_branch(work, "dev", {"worker/dev/spec.yaml": DEV_SPEC}, "dev spec")
    on_branch(work, "prod", {"worker/prod/spec.yaml": SVC_SPEC}, "prod spec")
    proton.create_service_sync_config(serviceName="worker", branch="main", filePath="proton-ops.yaml", **REPO)
    wait_for(lambda: proton.get_service_instance_sync_status(serviceName="worker", serviceInstanceName="worker-prod")
             .get("latestSync"))
    return work


def test_an_instance_follows_the_spec_on_its_own_branch(proton, per_instance):
    prod_before = instance(proton, "worker-prod")["lastAttemptedDeploymentId"]
    dev_before = instance(proton, "worker-dev")["lastAttemptedDeploymentId"]
    sha = on_branch(per_instance, "dev", {"worker/dev/spec.yaml": DEV_SPEC.replace("batch_size: 5", "batch_size: 8")},
                    "dev: bigger batches")
    dev = wait_for(lambda: (i := instance(proton, "worker-dev"))["lastAttemptedDeploymentId"] != dev_before and i)
    assert "batch_size: 8" in dev["spec"]
    assert instance(proton, "worker-prod")["lastAttemptedDeploymentId"] == prod_before
    status = proton.get_service_instance_sync_status(serviceName="worker", serviceInstanceName="worker-dev")
    assert (status["desiredState"]["branch"], status["desiredState"]["directory"], status["desiredState"]["sha"]) == (
        "dev", "worker/dev/spec.yaml", sha)
    assert status["latestSync"]["status"] == "SUCCEEDED"
    assert status["latestSync"]["events"][0]["event"] == "redeployed with the synced spec"


def test_an_instance_named_in_the_ops_file_and_its_spec_is_created(proton, per_instance):
    (per_instance / "proton-ops.yaml").write_text(
        PROTON_OPS + "      worker-extra:\n        branch: dev\n        spec: ./worker/dev/spec.yaml\n")
    push(per_instance, "ops: one more instance")
    on_branch(per_instance, "dev", {"worker/dev/spec.yaml": DEV_SPEC + "  - name: \"worker-extra\"\n"
                                                                       "    environment: \"dev\"\n"}, "dev: extra")
    names = wait_for(lambda: (n := [i["name"] for i in proton.list_service_instances(serviceName="worker")[
        "serviceInstances"]]) and "worker-extra" in n and n)
    assert names == ["worker-dev", "worker-extra", "worker-prod"]


def test_a_manual_instance_update_blocks_that_instance_until_resolved(proton, per_instance):
    proton.update_service_instance(serviceName="worker", name="worker-dev", deploymentType="CURRENT_VERSION")
    blockers = proton.get_service_sync_blocker_summary(serviceName="worker", serviceInstanceName="worker-dev")[
        "serviceSyncBlockerSummary"]["latestBlockers"]
    assert [(b["type"], b["status"], b["createdReason"]) for b in blockers] == [(
        "AUTOMATED", "ACTIVE", "Service instance worker-dev was changed outside service sync "
        "(UpdateServiceInstance); its sync is disabled until this blocker is resolved.")]
    assert proton.get_service_sync_blocker_summary(serviceName="worker")["serviceSyncBlockerSummary"][
        "latestBlockers"] == []
    notify(proton, instance(proton, "worker-dev"))
    dev_before = instance(proton, "worker-dev")["lastAttemptedDeploymentId"]
    on_branch(per_instance, "dev", {"worker/dev/spec.yaml": DEV_SPEC.replace("batch_size: 5", "batch_size: 6")},
              "dev: while blocked")
    import time
    time.sleep(2.5)  # blocked: nothing is synced
    assert instance(proton, "worker-dev")["lastAttemptedDeploymentId"] == dev_before
    proton.update_service_sync_blocker(id=blockers[0]["id"], resolvedReason="the manual change is in git now")
    dev = wait_for(lambda: (i := instance(proton, "worker-dev"))["lastAttemptedDeploymentId"] != dev_before and i)
    assert "batch_size: 6" in dev["spec"]


def test_deleting_an_instance_by_hand_blocks_the_whole_service(proton, per_instance):
    spec = SVC_SPEC.split("  - name: \"worker-prod\"")[0]
    proton.update_service(name="worker", spec=spec)
    blockers = proton.get_service_sync_blocker_summary(serviceName="worker")["serviceSyncBlockerSummary"][
        "latestBlockers"]
    assert [(b["status"], b["createdReason"]) for b in blockers] == [(
        "ACTIVE", "Service worker was changed outside service sync (UpdateService deleted worker-prod); "
        "its sync is disabled until this blocker is resolved.")]


def test_a_spec_that_does_not_define_its_instance_blocks_that_instance(proton, per_instance):
    on_branch(per_instance, "dev", {"worker/dev/spec.yaml": DEV_SPEC.replace("worker-dev", "someone-else")},
              "dev: wrong instance")
    blockers = wait_for(lambda: proton.get_service_sync_blocker_summary(
        serviceName="worker", serviceInstanceName="worker-dev")["serviceSyncBlockerSummary"]["latestBlockers"])
    assert blockers[0]["createdReason"].endswith("for worker-dev failed: the spec does not define instance worker-dev")
