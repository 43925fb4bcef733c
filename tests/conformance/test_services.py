"""Services with instances and a pipeline: the main Proton flow on self-managed provisioning —
template → version → publish → environment → service → deployments reported → delete."""

import time

import pytest
from botocore.exceptions import ClientError

from bundles import fixture_files, put, tar_gz
from conftest import REGION, error_of
from test_environments import REPO, create_env, notify, publish

ACCOUNT = "123456789012"
CONNECTION = f"arn:aws:codestar-connections:{REGION}:{ACCOUNT}:connection/0b1c2d3e-aaaa-bbbb-cccc-123456789012"
SVC_SPEC = """proton: ServiceSpec
pipeline:
  test_command: "cargo test"
instances:
  - name: "worker-dev"
    environment: "dev"
    spec:
      batch_size: 5
  - name: "worker-prod"
    environment: "prod"
"""


def publish_service(proton, server, compatible_major="1", pipeline_provisioning="CUSTOMER_MANAGED", **version_kw):
    proton.create_service_template(name="worker-svc", pipelineProvisioning=pipeline_provisioning)
    src = put(server, "worker-svc/v1.tar.gz", tar_gz(fixture_files("worker-svc")))
    proton.create_service_template_version(
        templateName="worker-svc", source=src,
        compatibleEnvironmentTemplates=[{"templateName": "queue-env", "majorVersion": compatible_major}],
        **version_kw)
    deadline = time.monotonic() + 20
    while proton.get_service_template_version(templateName="worker-svc", majorVersion="1", minorVersion="0")[
            "serviceTemplateVersion"]["status"] == "REGISTRATION_IN_PROGRESS" and time.monotonic() < deadline:
        time.sleep(0.05)
    proton.update_service_template_version(templateName="worker-svc", majorVersion="1", minorVersion="0",
                                           status="PUBLISHED")


@pytest.fixture()
def world(server, proton):
    """Two deployed self-managed environments and a published worker service template."""
    proton.create_environment_template(name="queue-env", provisioning="CUSTOMER_MANAGED")
    publish(proton, server, "queue-env")
    for name in ("dev", "prod"):
        notify(proton, create_env(proton, name=name))
    publish_service(proton, server)


def create_service(proton, spec=SVC_SPEC):
    return proton.create_service(name="worker", templateName="worker-svc", templateMajorVersion="1", spec=spec,
                                 repositoryConnectionArn=CONNECTION, repositoryId="acme/worker",
                                 branchName="main")["service"]


def test_a_service_deploys_its_instances_and_pipeline(proton, world):
    s = create_service(proton)
    assert s["status"] == "CREATE_IN_PROGRESS"
    assert s["pipeline"]["deploymentStatus"] == "IN_PROGRESS"
    instances = proton.list_service_instances(serviceName="worker")["serviceInstances"]
    assert [(i["name"], i["environmentName"], i["deploymentStatus"]) for i in instances] == [
        ("worker-dev", "dev", "IN_PROGRESS"), ("worker-prod", "prod", "IN_PROGRESS")]


def test_the_service_becomes_active_when_every_deployment_is_reported(proton, world):
    s = create_service(proton)
    for i in proton.list_service_instances(serviceName="worker")["serviceInstances"]:
        notify(proton, i, outputs=[{"key": "TopicArn", "valueString": f"arn:topic:{i['name']}"}])
    assert proton.get_service(name="worker")["service"]["status"] == "CREATE_IN_PROGRESS"
    notify(proton, s["pipeline"])
    got = proton.get_service(name="worker")["service"]
    assert got["status"] == "ACTIVE"
    assert got["pipeline"]["deploymentStatus"] == "SUCCEEDED"
    assert proton.list_service_instance_outputs(serviceName="worker", serviceInstanceName="worker-dev")[
        "outputs"] == [{"key": "TopicArn", "valueString": "arn:topic:worker-dev"}]
    proton.get_waiter("service_created").wait(name="worker", WaiterConfig={"Delay": 1, "MaxAttempts": 3})


def test_a_failed_instance_fails_the_service_creation(proton, world):
    s = create_service(proton)
    dev, prod = proton.list_service_instances(serviceName="worker")["serviceInstances"]
    notify(proton, dev)
    notify(proton, prod, status="FAILED", statusMessage="quota exceeded")
    notify(proton, s["pipeline"])
    got = proton.get_service(name="worker")["service"]
    assert (got["status"], got["statusMessage"]) == ("CREATE_FAILED", "1 of 3 deployments did not succeed")
    inst = proton.get_service_instance(serviceName="worker", name="worker-prod")["serviceInstance"]
    assert (inst["deploymentStatus"], inst["deploymentStatusMessage"]) == ("FAILED", "quota exceeded")


def test_an_instance_in_an_incompatible_environment_is_refused(server, proton):
    proton.create_environment_template(name="queue-env", provisioning="CUSTOMER_MANAGED")
    publish(proton, server, "queue-env")
    publish(proton, server, "queue-env")  # major 2
    notify(proton, create_env(proton, name="dev"))
    proton.create_environment(name="prod", templateName="queue-env", templateMajorVersion="2",
                              spec="proton: EnvironmentSpec\nspec:\n  queue_name: orders\n",
                              provisioningRepository=REPO)
    publish_service(proton, server, compatible_major="1")
    with pytest.raises(ClientError) as e:
        create_service(proton)
    assert error_of(e) == ("ValidationException",
                           "Environment prod uses queue-env:2, which is not compatible with service template worker-svc:1.", 400)
    assert proton.list_services()["services"] == []


def test_an_instance_in_a_missing_environment_is_not_found(proton, world):
    spec = SVC_SPEC.replace('environment: "prod"', 'environment: "staging"')
    with pytest.raises(ClientError) as e:
        create_service(proton, spec=spec)
    assert error_of(e) == ("ResourceNotFoundException", "The environment staging was not found.", 404)


def test_a_service_with_a_pipeline_needs_its_repository(proton, world):
    with pytest.raises(ClientError) as e:
        proton.create_service(name="worker", templateName="worker-svc", templateMajorVersion="1", spec=SVC_SPEC)
    assert error_of(e)[0] == "ValidationException"


def test_an_environment_with_instances_cannot_be_deleted(proton, world):
    create_service(proton)
    for i in proton.list_service_instances(serviceName="worker")["serviceInstances"]:
        notify(proton, i)
    with pytest.raises(ClientError) as e:
        proton.delete_environment(name="dev")
    assert error_of(e)[0] == "ConflictException"


def test_deleting_a_service_waits_for_its_teardowns(proton, world):
    s = create_service(proton)
    for i in proton.list_service_instances(serviceName="worker")["serviceInstances"]:
        notify(proton, i)
    notify(proton, s["pipeline"])
    deleting = proton.delete_service(name="worker")["service"]
    assert deleting["status"] == "DELETE_IN_PROGRESS"
    for i in proton.list_service_instances(serviceName="worker")["serviceInstances"]:
        assert i["deploymentStatus"] == "DELETE_IN_PROGRESS"
        notify(proton, i)
    notify(proton, proton.get_service(name="worker")["service"]["pipeline"])
    with pytest.raises(ClientError) as e:
        proton.get_service(name="worker")
    assert error_of(e)[0] == "ResourceNotFoundException"
    assert "service" not in proton.delete_service(name="worker")


def test_list_services_and_filter_instances(proton, world):
    create_service(proton)
    assert [s["name"] for s in proton.list_services()["services"]] == ["worker"]
    prod = proton.list_service_instances(filters=[{"key": "environmentName", "value": "prod"}])["serviceInstances"]
    assert [i["name"] for i in prod] == ["worker-prod"]


def deployed_service(proton):
    s = create_service(proton)
    for i in proton.list_service_instances(serviceName="worker")["serviceInstances"]:
        notify(proton, i)
    notify(proton, s["pipeline"])
    return proton.get_service(name="worker")["service"]


NEW_SPEC = SVC_SPEC.replace("batch_size: 5", "batch_size: 50")


def test_updating_an_instance_redeploys_it_with_the_new_spec(proton, world):
    deployed_service(proton)
    i = proton.update_service_instance(serviceName="worker", name="worker-dev", deploymentType="CURRENT_VERSION",
                                       spec=NEW_SPEC, clientToken="req-1")["serviceInstance"]
    assert (i["deploymentStatus"], i["spec"], i["lastClientRequestToken"]) == ("IN_PROGRESS", NEW_SPEC, "req-1")
    notify(proton, i)
    done = proton.get_service_instance(serviceName="worker", name="worker-dev")["serviceInstance"]
    assert (done["deploymentStatus"], done["lastSucceededDeploymentId"]) == ("SUCCEEDED", i["lastAttemptedDeploymentId"])
    assert proton.get_service(name="worker")["service"]["status"] == "ACTIVE"


def test_cancelling_an_instance_update_restores_its_spec(proton, world):
    deployed_service(proton)
    proton.update_service_instance(serviceName="worker", name="worker-dev", deploymentType="CURRENT_VERSION",
                                   spec=NEW_SPEC)
    i = proton.cancel_service_instance_deployment(serviceName="worker", serviceInstanceName="worker-dev")[
        "serviceInstance"]
    assert (i["deploymentStatus"], i["spec"]) == ("CANCELLED", SVC_SPEC)


def test_a_failed_pipeline_update_is_reported_and_reverted(proton, world):
    s = deployed_service(proton)
    p = proton.update_service_pipeline(serviceName="worker", deploymentType="CURRENT_VERSION", spec=NEW_SPEC)[
        "pipeline"]
    assert p["deploymentStatus"] == "IN_PROGRESS"
    notify(proton, p, status="FAILED", statusMessage="build failed")
    got = proton.get_service(name="worker")["service"]["pipeline"]
    assert (got["deploymentStatus"], got["deploymentStatusMessage"], got["spec"]) == ("FAILED", "build failed", SVC_SPEC)
    assert got["lastSucceededDeploymentId"] == s["pipeline"]["lastSucceededDeploymentId"]


def test_an_instance_update_while_one_runs_is_a_conflict(proton, world):
    create_service(proton)
    with pytest.raises(ClientError) as e:
        proton.update_service_instance(serviceName="worker", name="worker-dev", deploymentType="CURRENT_VERSION",
                                       spec=NEW_SPEC)
    assert error_of(e)[0] == "ConflictException"


def test_an_instance_update_with_an_invalid_spec_is_refused(proton, world):
    deployed_service(proton)
    with pytest.raises(ClientError) as e:
        proton.update_service_instance(serviceName="worker", name="worker-dev", deploymentType="CURRENT_VERSION",
                                       spec=SVC_SPEC.replace("batch_size: 5", "batch_size: 0"))
    code, message, _ = error_of(e)
    assert code == "ValidationException" and "instances[0].spec.batch_size" in message
    i = proton.get_service_instance(serviceName="worker", name="worker-dev")["serviceInstance"]
    assert i["deploymentStatus"] == "SUCCEEDED"


def test_the_summary_counts_services_instances_and_pipelines(proton, world):
    s = create_service(proton)
    dev, prod = proton.list_service_instances(serviceName="worker")["serviceInstances"]
    notify(proton, dev)
    notify(proton, prod, status="FAILED", statusMessage="boom")
    counts = proton.get_resources_summary()["counts"]
    assert counts["services"] == {"total": 1}
    assert counts["serviceInstances"] == {"total": 2, "failed": 1, "upToDate": 2, "behindMinor": 0, "behindMajor": 0}
    assert counts["pipelines"] == {"total": 1, "failed": 0, "upToDate": 1, "behindMinor": 0, "behindMajor": 0}
    assert s["pipeline"]["deploymentStatus"] == "IN_PROGRESS"


THREE = SVC_SPEC + '''  - name: "worker-extra"
    environment: "dev"
'''


def test_create_service_instance_adds_and_deploys_one_instance(proton, world):
    deployed_service(proton)
    i = proton.create_service_instance(serviceName="worker", name="worker-extra", spec=THREE,
                                       clientToken="tok-9")["serviceInstance"]
    assert (i["environmentName"], i["deploymentStatus"], i["lastClientRequestToken"]) == ("dev", "IN_PROGRESS", "tok-9")
    assert (i["templateMajorVersion"], i["templateMinorVersion"]) == ("1", "0")
    notify(proton, i)
    assert proton.get_service_instance(serviceName="worker", name="worker-extra")["serviceInstance"][
        "deploymentStatus"] == "SUCCEEDED"


def test_create_service_instance_needs_the_instance_in_its_spec(proton, world):
    deployed_service(proton)
    with pytest.raises(ClientError) as e:
        proton.create_service_instance(serviceName="worker", name="ghost", spec=SVC_SPEC)
    assert error_of(e) == ("ValidationException", "The spec has no instance named ghost.", 400)


def test_an_instance_name_can_not_be_taken_twice(proton, world):
    deployed_service(proton)
    with pytest.raises(ClientError) as e:
        proton.create_service_instance(serviceName="worker", name="worker-dev", spec=SVC_SPEC)
    assert error_of(e)[0] == "ConflictException"


def test_update_service_adds_instances_new_in_the_spec(proton, world):
    deployed_service(proton)
    s = proton.update_service(name="worker", spec=THREE)["service"]
    assert s["status"] == "UPDATE_IN_PROGRESS"
    extra = proton.get_service_instance(serviceName="worker", name="worker-extra")["serviceInstance"]
    notify(proton, extra)
    assert proton.get_service(name="worker")["service"]["status"] == "ACTIVE"


def test_update_service_deletes_instances_missing_from_the_spec(proton, world):
    deployed_service(proton)
    only_dev = SVC_SPEC.split('  - name: "worker-prod"')[0]
    s = proton.update_service(name="worker", spec=only_dev)["service"]
    assert s["status"] == "UPDATE_IN_PROGRESS"
    prod = proton.get_service_instance(serviceName="worker", name="worker-prod")["serviceInstance"]
    assert prod["deploymentStatus"] == "DELETE_IN_PROGRESS"
    notify(proton, prod)
    assert [i["name"] for i in proton.list_service_instances(serviceName="worker")["serviceInstances"]] == ["worker-dev"]
    assert proton.get_service(name="worker")["service"]["status"] == "ACTIVE"


def test_update_service_can_not_move_an_instance_to_another_environment(proton, world):
    deployed_service(proton)
    moved = SVC_SPEC.replace('environment: "dev"', 'environment: "prod"')
    with pytest.raises(ClientError) as e:
        proton.update_service(name="worker", spec=moved)
    assert error_of(e)[0] == "ValidationException"
    assert proton.get_service(name="worker")["service"]["spec"] == SVC_SPEC
