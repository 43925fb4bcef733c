"""Self-managed provisioning proposes the rendered files to the provisioning repository, as
Proton's pull requests do: a branch `proton/<deployment-id>` on a repository linked with
CreateRepository (a bare git repository Baryon keeps, cloned here with the real git CLI),
holding the Terraform files under `<environment>/`; the deployment waits for
NotifyResourceDeploymentStatusChange; a delete proposes removing the directory."""

import json
import subprocess
import time

from bundles import fixture_files, publish_environment_template
from test_environments import wait_status

REPO = {"provider": "GITHUB", "name": "acme/infra", "branch": "main"}


def git(*args, cwd=None):
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True,
                          env={"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "PATH": "/usr/bin:/bin",
                               "HOME": "/nonexistent"}).stdout


def publish_tf(proton, server):
    publish_environment_template(proton, server, "tf-env", fixture_files("tf-env"), provisioning="CUSTOMER_MANAGED")


def wait_branch(server, branch, timeout=20):
    bare = server.data_dir / "repositories/github/acme/infra.git"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if bare.exists() and subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"],
                                            cwd=bare, capture_output=True).returncode == 0:
            return bare
        time.sleep(0.1)
    raise AssertionError(f"branch {branch} did not appear")


def create_env(proton, server, spec="proton: EnvironmentSpec\nspec:\n  vpc_cidr: \"10.1.0.0/16\"\n"):
    proton.create_repository(provider="GITHUB", name="acme/infra", connectionArn=(
        "arn:aws:codestar-connections:eu-west-1:123456789012:connection/0c3c4f59-0d3b-4c4b-a5c4-1c1e3b0e5b8c"))
    publish_tf(proton, server)
    return proton.create_environment(name="dev", templateName="tf-env", templateMajorVersion="1", spec=spec,
                                     provisioningRepository=REPO)["environment"]


def test_the_rendered_files_are_committed_on_a_deployment_branch(server, proton, tmp_path):
    env = create_env(proton, server)
    deployment = env["lastAttemptedDeploymentId"]
    bare = wait_branch(server, f"proton/{deployment}")
    git("clone", "--quiet", "--branch", f"proton/{deployment}", str(bare), str(tmp_path / "clone"))
    clone = tmp_path / "clone"
    assert sorted(p.relative_to(clone).as_posix() for p in clone.rglob("*")
                  if p.is_file() and ".git" not in p.parts) == [
        "dev/.proton/deployment-metadata.json", "dev/main.tf", "dev/proton.auto.tfvars.json",
        "dev/proton.environment.variables.tf"]
    metadata = json.loads((clone / "dev/.proton/deployment-metadata.json").read_text())
    assert metadata["deploymentId"] == deployment
    assert metadata["resourceMetadata"]["arn"] == env["arn"]
    assert json.loads((clone / "dev/proton.auto.tfvars.json").read_text())["environment"]["inputs"] == {
        "vpc_cidr": "10.1.0.0/16", "subnet_count": 2}
    assert git("log", "-1", "--format=%an <%ae>|%s", cwd=clone).strip() == (
        f"Baryon <baryon@localhost>|Deploy dev (Proton deployment {deployment})")


def test_the_deployment_waits_for_the_notification_after_proposing(server, proton):
    env = create_env(proton, server)
    wait_branch(server, f"proton/{env['lastAttemptedDeploymentId']}")
    assert proton.get_environment(name="dev")["environment"]["deploymentStatus"] == "IN_PROGRESS"
    proton.notify_resource_deployment_status_change(resourceArn=env["arn"], status="SUCCEEDED",
                                                    outputs=[{"key": "vpc_id", "valueString": "vpc-123"}])
    assert wait_status(proton, "dev")["deploymentStatus"] == "SUCCEEDED"
    assert proton.list_environment_outputs(environmentName="dev")["outputs"] == [
        {"key": "vpc_id", "valueString": "vpc-123"}]


def test_an_update_is_proposed_on_top_of_the_merged_branch(server, proton, tmp_path):
    env = create_env(proton, server)
    first = env["lastAttemptedDeploymentId"]
    bare = wait_branch(server, f"proton/{first}")
    # The customer merges the proposal into main, then reports success.
    git("update-ref", "refs/heads/main", f"refs/heads/proton/{first}", cwd=bare)
    proton.notify_resource_deployment_status_change(resourceArn=env["arn"], status="SUCCEEDED")
    wait_status(proton, "dev")
    second = proton.update_environment(name="dev", deploymentType="CURRENT_VERSION",
                                       spec="proton: EnvironmentSpec\nspec:\n  subnet_count: 3\n")[
        "environment"]["lastAttemptedDeploymentId"]
    wait_branch(server, f"proton/{second}")
    log = git("log", "--format=%s", f"proton/{second}", cwd=bare).splitlines()
    assert log == [f"Deploy dev (Proton deployment {second})", f"Deploy dev (Proton deployment {first})"]
    changed = git("diff", "--name-only", "main", f"proton/{second}", cwd=bare).split()
    assert sorted(changed) == ["dev/.proton/deployment-metadata.json", "dev/proton.auto.tfvars.json"]


def test_deleting_proposes_removing_the_directory(server, proton):
    env = create_env(proton, server)
    first = env["lastAttemptedDeploymentId"]
    bare = wait_branch(server, f"proton/{first}")
    git("update-ref", "refs/heads/main", f"refs/heads/proton/{first}", cwd=bare)
    proton.notify_resource_deployment_status_change(resourceArn=env["arn"], status="SUCCEEDED")
    wait_status(proton, "dev")
    deleted = proton.delete_environment(name="dev")["environment"]
    deletion = deleted["lastAttemptedDeploymentId"]
    assert deletion != first
    wait_branch(server, f"proton/{deletion}")
    assert git("ls-tree", "-r", "--name-only", f"proton/{deletion}", cwd=bare) == ""
    assert git("log", "-1", "--format=%s", f"proton/{deletion}", cwd=bare).strip() == (
        f"Delete dev (Proton deployment {deletion})")
    proton.notify_resource_deployment_status_change(resourceArn=env["arn"], status="SUCCEEDED")
    deadline = time.monotonic() + 20
    while proton.list_environments()["environments"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proton.list_environments()["environments"] == []


def test_an_unlinked_provisioning_repository_gets_no_commit(server, proton):
    publish_tf(proton, server)
    proton.create_environment(name="dev", templateName="tf-env", templateMajorVersion="1",
                              spec="proton: EnvironmentSpec\nspec: {}\n", provisioningRepository=REPO)
    time.sleep(1)
    assert not (server.data_dir / "repositories/github/acme/infra.git").exists()
    assert proton.get_environment(name="dev")["environment"]["deploymentStatus"] == "IN_PROGRESS"
