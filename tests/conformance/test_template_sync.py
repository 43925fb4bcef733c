"""Template sync from git: a bare repository Baryon keeps (created by CreateRepository) is
cloned, template directories are pushed, and the sync registers versions and reports its
attempts truthfully — through real git and boto3."""

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from bundles import FIXTURES

CONNECTION = "arn:aws:codestar-connections:eu-west-1:123456789012:connection/0b1c2d3e-aaaa-bbbb-cccc-123456789012"
REPO = {"repositoryProvider": "GITHUB", "repositoryName": "acme/templates"}
GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": os.devnull}


def git(cwd, *args):
    return subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture()
def checkout(server, proton, tmp_path):
    """A clone of the bare repository CreateRepository made, on branch main."""
    proton.create_repository(provider="GITHUB", name="acme/templates", connectionArn=CONNECTION)
    bare = server.data_dir / "repositories" / "github" / "acme" / "templates.git"
    assert (bare / "HEAD").exists()
    work = tmp_path / "work"
    git(tmp_path, "clone", "--quiet", str(bare), str(work))
    git(work, "checkout", "--quiet", "-b", "main")
    return work


def push(work, message):
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", message)
    git(work, "push", "--quiet", "origin", "main")
    return git(work, "rev-parse", "HEAD")


def versions(proton, template="queue-env"):
    return [(v["majorVersion"], v["minorVersion"], v["status"])
            for v in proton.list_environment_template_versions(templateName=template)["templateVersions"]]


def wait_for(predicate, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


def sync_status(proton, major="1"):
    return proton.get_template_sync_status(templateName="queue-env", templateType="ENVIRONMENT",
                                           templateVersion=major)


def test_a_pushed_template_directory_registers_a_version(proton, checkout):
    shutil.copytree(FIXTURES / "queue-env" / "v1", checkout / "templates" / "queue-env" / "v1")
    sha = push(checkout, "queue-env v1")
    proton.create_environment_template(name="queue-env")
    proton.create_template_sync_config(templateName="queue-env", templateType="ENVIRONMENT", branch="main",
                                       subdirectory="templates", **REPO)
    assert wait_for(lambda: versions(proton) == [("1", "0", "DRAFT")] and versions(proton))
    v = proton.get_environment_template_version(templateName="queue-env", majorVersion="1", minorVersion="0")[
        "environmentTemplateVersion"]
    assert v["description"] == f"Synced from acme/templates@{sha[:12]} (templates/queue-env/v1)"
    status = wait_for(lambda: sync_status(proton).get("latestSync"))
    assert (status["status"], status["target"]) == ("SUCCEEDED", "queue-env")
    assert status["targetRevision"] == {"repositoryName": "acme/templates", "repositoryProvider": "GITHUB",
                                        "branch": "main", "directory": "templates/queue-env/v1", "sha": sha}
    assert sync_status(proton)["desiredState"]["sha"] == sha
    assert [e["type"] for e in status["events"]] == ["SYNC_STARTED", "VERSION_CREATED", "SYNC_SUCCEEDED"]
    # The repository's attempt is recorded when the pass over the branch ends.
    repo = wait_for(lambda: proton.get_repository_sync_status(branch="main", syncType="TEMPLATE_SYNC",
                                                              **REPO).get("latestSync"))
    assert repo["status"] == "SUCCEEDED"
    assert repo["events"][-1]["event"] == "ENVIRONMENT queue-env v1: version 1.0 DRAFT"


def test_a_change_registers_a_minor_version_and_an_unrelated_commit_does_not(proton, checkout):
    shutil.copytree(FIXTURES / "queue-env" / "v1", checkout / "queue-env" / "v1")
    push(checkout, "v1")
    proton.create_environment_template(name="queue-env")
    proton.create_template_sync_config(templateName="queue-env", templateType="ENVIRONMENT", branch="main", **REPO)
    wait_for(lambda: versions(proton) == [("1", "0", "DRAFT")])
    (checkout / "README.md").write_text("unrelated\n")
    readme_sha = push(checkout, "docs")
    # The repository's attempt is recorded when the pass over the branch ends.
    wait_for(lambda: proton.get_repository_sync_status(branch="main", syncType="TEMPLATE_SYNC", **REPO).get(
        "latestSync", {"events": [{}]})["events"][0].get("externalId") == readme_sha)
    assert versions(proton) == [("1", "0", "DRAFT")]
    infra = checkout / "queue-env" / "v1" / "infrastructure" / "cloudformation.yaml"
    infra.write_text(infra.read_text() + "\n# tuned\n")
    push(checkout, "tune")
    assert wait_for(lambda: versions(proton) == [("1", "0", "DRAFT"), ("1", "1", "DRAFT")])


def test_a_broken_bundle_is_reported_once_and_nothing_else_changes(proton, checkout):
    shutil.copytree(FIXTURES / "queue-env" / "v1", checkout / "queue-env" / "v1")
    (checkout / "queue-env" / "v1" / "infrastructure" / "manifest.yaml").write_text("infrastructure: 3\n")
    sha = push(checkout, "broken")
    proton.create_environment_template(name="queue-env")
    proton.create_template_sync_config(templateName="queue-env", templateType="ENVIRONMENT", branch="main", **REPO)
    status = wait_for(lambda: sync_status(proton).get("latestSync"))
    assert status["status"] == "FAILED"
    assert status["events"][-1]["type"] == "SYNC_FAILED"
    assert "REGISTRATION_FAILED" in status["events"][-1]["event"]
    assert "desiredState" not in sync_status(proton)
    time.sleep(2.5)  # later passes do not try the same content again
    assert versions(proton) == [("1", "0", "REGISTRATION_FAILED")]
    assert sync_status(proton)["latestSync"]["targetRevision"]["sha"] == sha


def test_a_service_template_takes_its_registration_file(server, proton, checkout):
    shutil.copytree(FIXTURES / "worker-svc" / "v1", checkout / "worker-svc" / "v1")
    (checkout / "worker-svc" / "v1" / ".template-registration.yaml").write_text(
        "compatible_environments:\n  - queue-env:1\nsupported_component_sources:\n  - DIRECTLY_DEFINED\n")
    push(checkout, "svc")
    from test_environments import publish
    proton.create_environment_template(name="queue-env")
    publish(proton, server, "queue-env")
    proton.create_service_template(name="worker-svc")
    proton.create_template_sync_config(templateName="worker-svc", templateType="SERVICE", branch="main", **REPO)
    v = wait_for(lambda: next(iter(proton.list_service_template_versions(templateName="worker-svc")[
        "templateVersions"]), None))
    got = proton.get_service_template_version(templateName="worker-svc", majorVersion=v["majorVersion"],
                                              minorVersion=v["minorVersion"])["serviceTemplateVersion"]
    assert got["compatibleEnvironmentTemplates"] == [{"templateName": "queue-env", "majorVersion": "1"}]
    assert got["supportedComponentSources"] == ["DIRECTLY_DEFINED"]


def test_a_skipped_major_is_refused_with_the_reason(proton, checkout):
    shutil.copytree(FIXTURES / "queue-env" / "v1", checkout / "queue-env" / "v3")
    push(checkout, "v3 first")
    proton.create_environment_template(name="queue-env")
    proton.create_template_sync_config(templateName="queue-env", templateType="ENVIRONMENT", branch="main", **REPO)
    status = wait_for(lambda: sync_status(proton, "3").get("latestSync"))
    assert status["status"] == "FAILED"
    assert "next new major version is 1" in status["events"][-1]["event"]
    assert versions(proton) == []


# --- what starts a sync pass before the interval ends ---------------------------------------------

@pytest.fixture()
def slow_sync(request, tmp_path):
    """An engine whose sync interval (an hour) never ends during a test."""
    from conftest import Server
    s = Server(tmp_path / "data", None, sync_interval=3600)
    yield s
    s.stop()


def slow_checkout(server, tmp_path):
    proton = server.client()
    proton.create_repository(provider="GITHUB", name="acme/templates", connectionArn=CONNECTION)
    bare = server.data_dir / "repositories" / "github" / "acme" / "templates.git"
    work = tmp_path / "work"
    git(tmp_path, "clone", "--quiet", str(bare), str(work))
    git(work, "checkout", "--quiet", "-b", "main")
    proton.create_environment_template(name="queue-env")
    shutil.copytree(FIXTURES / "queue-env" / "v1", work / "queue-env" / "v1")
    return proton, bare, work


def test_a_push_to_a_local_repository_syncs_at_once_through_its_hook(slow_sync, tmp_path):
    proton, bare, work = slow_checkout(slow_sync, tmp_path)
    proton.create_template_sync_config(templateName="queue-env", templateType="ENVIRONMENT", branch="main", **REPO)
    time.sleep(1)  # the pass the new config started has run (and found no branch yet)
    assert os.access(bare / "hooks" / "post-receive", os.X_OK)
    push(work, "queue-env v1")
    assert wait_for(lambda: versions(proton), timeout=10) == [("1", "0", "DRAFT")]


def test_the_sync_webhook_starts_a_pass_at_once(slow_sync, tmp_path):
    import urllib.request
    proton, bare, work = slow_checkout(slow_sync, tmp_path)
    (bare / "hooks" / "post-receive").unlink()  # as for a repository whose pushes Baryon doesn't see
    proton.create_template_sync_config(templateName="queue-env", templateType="ENVIRONMENT", branch="main", **REPO)
    time.sleep(1)
    push(work, "queue-env v1")
    time.sleep(1)
    assert versions(proton) == []
    with urllib.request.urlopen(urllib.request.Request(slow_sync.url + "/sync", method="POST"), timeout=5) as r:
        assert (r.status, r.read()) == (202, b'{"status":"sync started"}')
    assert wait_for(lambda: versions(proton), timeout=10) == [("1", "0", "DRAFT")]


def test_a_new_sync_config_starts_a_pass_at_once(slow_sync, tmp_path):
    proton, bare, work = slow_checkout(slow_sync, tmp_path)
    push(work, "queue-env v1")
    proton.create_template_sync_config(templateName="queue-env", templateType="ENVIRONMENT", branch="main", **REPO)
    assert wait_for(lambda: versions(proton), timeout=10) == [("1", "0", "DRAFT")]
