"""Environments and deployments: self-managed deployments finished by
NotifyResourceDeploymentStatusChange, AWS-managed deployments failing honestly without a
provisioner, deployment types, cancellation, revert, deletion — through boto3."""

import time

import pytest
from botocore.exceptions import ClientError

from bundles import fixture_files, put, tar_gz
from conftest import error_of

SPEC = "proton: EnvironmentSpec\nspec:\n  queue_name: orders\n"
REPO = {"provider": "GITHUB", "name": "acme/infra", "branch": "main"}


def publish(proton, server, template, major=None):
    src = put(server, f"{template}/bundle.tar.gz", tar_gz(fixture_files("queue-env")))
    kw = {"majorVersion": major} if major else {}
    v = proton.create_environment_template_version(templateName=template, source=src, **kw)[
        "environmentTemplateVersion"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        got = proton.get_environment_template_version(
            templateName=template, majorVersion=v["majorVersion"], minorVersion=v["minorVersion"])[
            "environmentTemplateVersion"]
        if got["status"] != "REGISTRATION_IN_PROGRESS":
            break
        time.sleep(0.05)
    assert got["status"] == "DRAFT", got.get("statusMessage")
    proton.update_environment_template_version(templateName=template, majorVersion=v["majorVersion"],
                                               minorVersion=v["minorVersion"], status="PUBLISHED")
    return v["majorVersion"], v["minorVersion"]


@pytest.fixture()
def self_managed(server, proton):
    proton.create_environment_template(name="queue-env", provisioning="CUSTOMER_MANAGED")
    publish(proton, server, "queue-env")
    return "queue-env"


def create_env(proton, name="dev", spec=SPEC, **kw):
    return proton.create_environment(name=name, templateName="queue-env", templateMajorVersion="1",
                                     spec=spec, provisioningRepository=REPO, **kw)["environment"]


def notify(proton, env, status="SUCCEEDED", **kw):
    proton.notify_resource_deployment_status_change(resourceArn=env["arn"], status=status, **kw)


def wait_status(proton, name, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        env = proton.get_environment(name=name)["environment"]
        if env["deploymentStatus"] not in ("IN_PROGRESS", "CANCELLING") or time.monotonic() > deadline:
            return env
        time.sleep(0.05)


def test_a_self_managed_environment_deploys_when_notified(proton, self_managed):
    env = create_env(proton)
    assert (env["deploymentStatus"], env["provisioning"]) == ("IN_PROGRESS", "CUSTOMER_MANAGED")
    assert (env["templateMajorVersion"], env["templateMinorVersion"]) == ("1", "0")
    assert env["provisioningRepository"]["arn"].endswith(":repository/github:acme/infra")
    deployment = proton.get_deployment(id=env["lastAttemptedDeploymentId"])["deployment"]
    assert (deployment["deploymentStatus"], deployment["targetArn"]) == ("IN_PROGRESS", env["arn"])
    notify(proton, env, outputs=[{"key": "QueueUrl", "valueString": "https://queue.example/orders"}])
    done = proton.get_environment(name="dev")["environment"]
    assert done["deploymentStatus"] == "SUCCEEDED"
    assert done["lastSucceededDeploymentId"] == env["lastAttemptedDeploymentId"]
    assert proton.list_environment_outputs(environmentName="dev")["outputs"] == [
        {"key": "QueueUrl", "valueString": "https://queue.example/orders"}]
    finished = proton.get_deployment(id=env["lastAttemptedDeploymentId"])["deployment"]
    assert finished["deploymentStatus"] == "SUCCEEDED" and "completedAt" in finished


def test_the_environment_deployed_waiter_sees_the_notified_success(proton, self_managed):
    env = create_env(proton)
    notify(proton, env)
    proton.get_waiter("environment_deployed").wait(name="dev", WaiterConfig={"Delay": 1, "MaxAttempts": 5})


def test_an_aws_managed_deployment_fails_saying_what_is_missing(server, proton):
    proton.create_environment_template(name="queue-env")
    publish(proton, server, "queue-env")
    proton.create_environment(name="dev", templateName="queue-env", templateMajorVersion="1", spec=SPEC,
                              protonServiceRoleArn="arn:aws:iam::123456789012:role/proton")
    env = wait_status(proton, "dev")
    assert env["deploymentStatus"] == "FAILED"
    assert env["deploymentStatusMessage"].startswith("AWS-managed provisioning needs a CloudFormation provisioner")


def test_an_invalid_spec_is_refused_with_positions_and_nothing_is_created(proton, self_managed):
    with pytest.raises(ClientError) as e:
        create_env(proton, spec="proton: EnvironmentSpec\nspec:\n  queue_name: Bad_Name\n  retention_seconds: lots\n")
    code, message, status = error_of(e)
    assert (code, status) == ("ValidationException", 400)
    assert "line 3, column 15: spec.queue_name" in message
    assert "line 4, column 22: spec.retention_seconds" in message
    assert proton.list_environments()["environments"] == []


def test_an_unpublished_version_cannot_be_deployed(server, proton):
    proton.create_environment_template(name="queue-env", provisioning="CUSTOMER_MANAGED")
    src = put(server, "b.tar.gz", tar_gz(fixture_files("queue-env")))
    proton.create_environment_template_version(templateName="queue-env", source=src)
    with pytest.raises(ClientError) as e:
        create_env(proton)
    assert error_of(e)[0] == "ValidationException"


def test_a_self_managed_environment_needs_a_provisioning_repository(proton, self_managed):
    with pytest.raises(ClientError) as e:
        proton.create_environment(name="dev", templateName="queue-env", templateMajorVersion="1", spec=SPEC)
    assert error_of(e) == ("ValidationException",
                           "A self-managed (CUSTOMER_MANAGED) environment needs a provisioningRepository.", 400)


def test_a_retried_create_returns_the_same_environment(proton, self_managed):
    a = create_env(proton)
    b = create_env(proton)
    assert a["lastAttemptedDeploymentId"] == b["lastAttemptedDeploymentId"]
    assert len(proton.list_deployments(environmentName="dev")["deployments"]) == 1


def test_an_update_while_a_deployment_runs_is_a_conflict(proton, self_managed):
    create_env(proton)
    with pytest.raises(ClientError) as e:
        proton.update_environment(name="dev", deploymentType="CURRENT_VERSION", spec=SPEC)
    assert error_of(e)[0] == "ConflictException"


def test_minor_version_updates_move_to_the_recommended_minor(server, proton, self_managed):
    env = create_env(proton)
    notify(proton, env)
    publish(proton, server, "queue-env", major="1")
    updated = proton.update_environment(name="dev", deploymentType="MINOR_VERSION")["environment"]
    assert (updated["templateMinorVersion"], updated["deploymentStatus"]) == ("1", "IN_PROGRESS")


def test_a_failed_update_puts_the_environment_back_to_its_initial_state(server, proton, self_managed):
    env = create_env(proton)
    notify(proton, env)
    publish(proton, server, "queue-env", major="1")
    updated = proton.update_environment(name="dev", deploymentType="MINOR_VERSION")["environment"]
    notify(proton, updated, status="FAILED", statusMessage="terraform apply failed")
    after = proton.get_environment(name="dev")["environment"]
    assert (after["deploymentStatus"], after["deploymentStatusMessage"]) == ("FAILED", "terraform apply failed")
    assert after["templateMinorVersion"] == "0"
    assert after["lastSucceededDeploymentId"] == env["lastAttemptedDeploymentId"]


def test_current_version_with_version_parameters_is_refused(proton, self_managed):
    env = create_env(proton)
    notify(proton, env)
    with pytest.raises(ClientError) as e:
        proton.update_environment(name="dev", deploymentType="CURRENT_VERSION", templateMajorVersion="1")
    assert error_of(e)[0] == "ValidationException"


def test_none_updates_only_metadata(proton, self_managed):
    env = create_env(proton)
    notify(proton, env)
    updated = proton.update_environment(name="dev", deploymentType="NONE", description="changed")["environment"]
    assert (updated["description"], updated["deploymentStatus"]) == ("changed", "SUCCEEDED")
    assert updated["lastAttemptedDeploymentId"] == env["lastAttemptedDeploymentId"]


def test_cancelling_an_update_restores_the_previous_spec(proton, self_managed):
    env = create_env(proton)
    notify(proton, env)
    new_spec = "proton: EnvironmentSpec\nspec:\n  queue_name: invoices\n"
    proton.update_environment(name="dev", deploymentType="CURRENT_VERSION", spec=new_spec)
    cancelled = proton.cancel_environment_deployment(environmentName="dev")["environment"]
    assert cancelled["deploymentStatus"] == "CANCELLED"
    assert cancelled["spec"] == SPEC
    d = proton.get_deployment(id=cancelled["lastAttemptedDeploymentId"])["deployment"]
    assert d["deploymentStatus"] == "CANCELLED"


def test_cancelling_when_nothing_runs_is_refused(proton, self_managed):
    env = create_env(proton)
    notify(proton, env)
    with pytest.raises(ClientError) as e:
        proton.cancel_environment_deployment(environmentName="dev")
    assert error_of(e)[0] == "ValidationException"


def test_deleting_a_deployed_self_managed_environment_waits_for_the_notification(proton, self_managed):
    env = create_env(proton)
    notify(proton, env)
    deleting = proton.delete_environment(name="dev")["environment"]
    assert deleting["deploymentStatus"] == "DELETE_IN_PROGRESS"
    assert proton.delete_environment(name="dev")["environment"]["deploymentStatus"] == "DELETE_IN_PROGRESS"
    notify(proton, deleting)
    with pytest.raises(ClientError) as e:
        proton.get_environment(name="dev")
    assert error_of(e)[0] == "ResourceNotFoundException"
    assert "environment" not in proton.delete_environment(name="dev")


def test_deployments_are_listed_and_history_cannot_be_deleted(proton, self_managed):
    env = create_env(proton)
    notify(proton, env)
    proton.update_environment(name="dev", deploymentType="CURRENT_VERSION", spec=SPEC)
    latest = proton.get_environment(name="dev")["environment"]
    notify(proton, latest)
    ids = [d["id"] for d in proton.list_deployments(environmentName="dev")["deployments"]]
    assert ids == [env["lastAttemptedDeploymentId"], latest["lastAttemptedDeploymentId"]]
    with pytest.raises(ClientError) as e:
        proton.delete_deployment(id=latest["lastAttemptedDeploymentId"])
    assert error_of(e)[0] == "ConflictException"
    assert proton.delete_deployment(id=ids[0])["deployment"]["id"] == ids[0]


def test_notifying_an_aws_managed_environment_is_refused(server, proton):
    proton.create_environment_template(name="queue-env")
    publish(proton, server, "queue-env")
    env = proton.create_environment(name="dev", templateName="queue-env", templateMajorVersion="1", spec=SPEC,
                                    protonServiceRoleArn="arn:aws:iam::123456789012:role/proton")["environment"]
    with pytest.raises(ClientError) as e:
        notify(proton, env)
    assert error_of(e)[0] == "ValidationException"


@pytest.mark.parametrize("leftover", ["leased job", "expired lease", "no job"])
def test_a_deployment_interrupted_by_a_crash_ends_after_a_restart(server, proton, leftover):
    proton.create_environment_template(name="managed")
    publish(proton, server, "managed")
    env = proton.create_environment(name="aws", templateName="managed", templateMajorVersion="1", spec=SPEC,
                                    protonServiceRoleArn="arn:aws:iam::123456789012:role/proton")["environment"]
    assert wait_status(proton, "aws")["deploymentStatus"] == "FAILED"
    deployment_id = env["lastAttemptedDeploymentId"]
    server.stop()
    # What a crash mid-deployment leaves: the environment and its deployment in progress, and
    # (unless the crash came before the job was written) the deployment's job, maybe still leased.
    server.sql("UPDATE resources SET status = 'IN_PROGRESS', doc = replace(doc, "
               "'\"deploymentStatus\":\"FAILED\"', '\"deploymentStatus\":\"IN_PROGRESS\"') "
               "WHERE kind IN ('environment', 'deployment')")
    if leftover != "no job":
        # The embedded (SQLite) engine releases leases at start; PostgreSQL waits for expiry.
        lease = 0 if leftover == "expired lease" or server.database else 4102444800000
        server.sql("INSERT INTO jobs (id, account_id, kind, subject, step, run_after, lease_until, attempts, "
                   f"created_at) VALUES ('crash-job', '123456789012', 'deploy', '{deployment_id}', 'start', 0, "
                   f"{lease}, 1, 0)")
    from conftest import Server
    again = Server(server.data_dir, server.database)
    try:
        client = again.client()
        assert client.get_environment(name="aws")["environment"]["deploymentStatus"] in ("IN_PROGRESS", "FAILED")
        done = wait_status(client, "aws")
        assert done["deploymentStatus"] == "FAILED"
        assert done["deploymentStatusMessage"].startswith("AWS-managed provisioning needs a CloudFormation")
        assert client.get_deployment(id=deployment_id)["deployment"]["deploymentStatus"] == "FAILED"
    finally:
        again.stop()
