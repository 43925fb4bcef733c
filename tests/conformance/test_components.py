"""Directly defined components: attached to a service instance or alone in an environment,
deployed with the environment's provisioning (self-managed here, finished by
NotifyResourceDeploymentStatusChange), updated, cancelled and deleted — through boto3, with
Proton's rules on supported component sources, one component per instance and in-use deletes."""

import pytest
from botocore.exceptions import ClientError

from conftest import error_of
from test_environments import create_env, notify, publish
from test_services import create_service, publish_service

MANIFEST = """infrastructure:
  templates:
    - file: "cloudformation.yaml"
      rendering_engine: jinja
      template_language: cloudformation
"""
TEMPLATE = "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n"
SERVICE_SPEC = """proton: ServiceSpec
pipeline:
  test_command: "cargo test"
instances:
  - name: "worker-dev"
    environment: "dev"
"""


@pytest.fixture()
def world(server, proton):
    """A deployed self-managed environment `dev` running service `worker` (instance
    `worker-dev`, template version supporting directly defined components)."""
    proton.create_environment_template(name="queue-env", provisioning="CUSTOMER_MANAGED")
    publish(proton, server, "queue-env")
    notify(proton, create_env(proton, name="dev"))
    publish_service(proton, server, supportedComponentSources=["DIRECTLY_DEFINED"])
    create_service(proton, spec=SERVICE_SPEC)


def attach(proton, name="cache", **kw):
    return proton.create_component(name=name, manifest=MANIFEST, templateFile=TEMPLATE,
                                   serviceName="worker", serviceInstanceName="worker-dev", **kw)["component"]


def test_an_attached_component_runs_in_its_instances_environment(proton, world):
    c = attach(proton, clientToken="tok-1", description="a cache")
    assert {k: c[k] for k in ("name", "environmentName", "serviceName", "serviceInstanceName",
                              "deploymentStatus", "description", "lastClientRequestToken")} == {
        "name": "cache", "environmentName": "dev", "serviceName": "worker",
        "serviceInstanceName": "worker-dev", "deploymentStatus": "IN_PROGRESS",
        "description": "a cache", "lastClientRequestToken": "tok-1"}
    assert c["arn"].endswith(":component/cache")
    assert "templateFile" not in c and "manifest" not in c


def test_the_components_deployment_records_its_template_file(proton, world):
    c = attach(proton)
    d = proton.get_deployment(id=c["lastAttemptedDeploymentId"])["deployment"]
    assert (d["targetResourceType"], d["componentName"], d["targetArn"]) == ("COMPONENT", "cache", c["arn"])
    assert d["targetState"] == {"component": {"serviceName": "worker", "serviceInstanceName": "worker-dev",
                                              "templateFile": TEMPLATE}}
    assert "initialState" not in d


def test_a_notified_component_succeeds_with_outputs(proton, world):
    c = attach(proton)
    notify(proton, c, outputs=[{"key": "BucketName", "valueString": "cache-bucket"}])
    got = proton.get_component(name="cache")["component"]
    assert got["deploymentStatus"] == "SUCCEEDED"
    assert got["lastSucceededDeploymentId"] == c["lastAttemptedDeploymentId"]
    assert proton.list_component_outputs(componentName="cache")["outputs"] == [
        {"key": "BucketName", "valueString": "cache-bucket"}]
    assert proton.list_component_provisioned_resources(componentName="cache")["provisionedResources"] == []


def test_a_detached_component_needs_an_environment(proton, world):
    with pytest.raises(ClientError) as e:
        proton.create_component(name="lonely", manifest=MANIFEST, templateFile=TEMPLATE)
    code, message, status = error_of(e)
    assert (code, status) == ("ValidationException", 400)
    assert "environmentName" in message
    c = proton.create_component(name="lonely", manifest=MANIFEST, templateFile=TEMPLATE,
                                environmentName="dev")["component"]
    assert (c["environmentName"], "serviceName" in c) == ("dev", False)


def test_a_template_version_without_directly_defined_sources_refuses_components(server, proton):
    proton.create_environment_template(name="queue-env", provisioning="CUSTOMER_MANAGED")
    publish(proton, server, "queue-env")
    notify(proton, create_env(proton, name="dev"))
    publish_service(proton, server)
    create_service(proton, spec=SERVICE_SPEC)
    with pytest.raises(ClientError) as e:
        attach(proton)
    code, message, status = error_of(e)
    assert (code, status) == ("ValidationException", 400)
    assert "DIRECTLY_DEFINED" in message
    assert proton.list_components()["components"] == []


def test_a_service_instance_takes_one_component(proton, world):
    attach(proton)
    with pytest.raises(ClientError) as e:
        attach(proton, name="second")
    code, message, status = error_of(e)
    assert (code, status) == ("ConflictException", 409)
    assert "already has the component cache attached" in message


def test_half_an_attachment_is_refused(proton, world):
    with pytest.raises(ClientError) as e:
        proton.create_component(name="half", manifest=MANIFEST, templateFile=TEMPLATE, serviceName="worker")
    assert error_of(e)[0] == "ValidationException"


def test_a_missing_service_instance_is_not_found(proton, world):
    with pytest.raises(ClientError) as e:
        proton.create_component(name="x", manifest=MANIFEST, templateFile=TEMPLATE, serviceName="worker",
                                serviceInstanceName="nope")
    code, message, status = error_of(e)
    assert (code, status) == ("ResourceNotFoundException", 404)


def test_a_bad_manifest_is_refused_and_nothing_is_stored(proton, world):
    with pytest.raises(ClientError) as e:
        proton.create_component(name="bad", manifest="infrastructure: 3\n", templateFile=TEMPLATE,
                                environmentName="dev")
    code, message, status = error_of(e)
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("The component manifest is not valid:")
    assert proton.list_components()["components"] == []


def test_an_aws_managed_environment_needs_a_component_role(server, proton):
    proton.create_environment_template(name="managed-env")
    publish(proton, server, "managed-env")
    proton.create_environment(name="aws", templateName="managed-env", templateMajorVersion="1",
                              spec="proton: EnvironmentSpec\nspec:\n  queue_name: orders\n",
                              protonServiceRoleArn="arn:aws:iam::123456789012:role/proton")
    with pytest.raises(ClientError) as e:
        proton.create_component(name="c", manifest=MANIFEST, templateFile=TEMPLATE, environmentName="aws")
    code, message, _ = error_of(e)
    assert code == "ValidationException" and "componentRoleArn" in message


def test_the_same_create_request_is_idempotent(proton, world):
    first = attach(proton, clientToken="t")
    again = attach(proton, clientToken="t")
    assert again == first
    assert len(proton.list_components()["components"]) == 1


def test_list_components_filters_by_environment_service_and_instance(proton, world):
    attach(proton)
    proton.create_component(name="lonely", manifest=MANIFEST, templateFile=TEMPLATE, environmentName="dev")
    names = lambda **kw: [c["name"] for c in proton.list_components(**kw)["components"]]
    assert names() == ["cache", "lonely"]
    assert names(environmentName="dev") == ["cache", "lonely"]
    assert names(serviceName="worker") == ["cache"]
    assert names(serviceName="worker", serviceInstanceName="worker-dev") == ["cache"]
    assert names(environmentName="prod") == []
    first = proton.list_components(maxResults=1)
    assert [c["name"] for c in first["components"]] == ["cache"]
    assert [c["name"] for c in proton.list_components(maxResults=1, nextToken=first["nextToken"])[
        "components"]] == ["lonely"]


def test_update_none_changes_only_the_description(proton, world):
    c = attach(proton)
    notify(proton, c)
    got = proton.update_component(name="cache", deploymentType="NONE", description="new")["component"]
    assert (got["description"], got["lastAttemptedDeploymentId"]) == ("new", c["lastAttemptedDeploymentId"])
    with pytest.raises(ClientError) as e:
        proton.update_component(name="cache", deploymentType="NONE", templateFile="x: 1\n")
    assert error_of(e)[0] == "ValidationException"


def test_update_current_version_redeploys_the_new_template_file(proton, world):
    c = attach(proton)
    notify(proton, c)
    got = proton.update_component(name="cache", deploymentType="CURRENT_VERSION", templateFile="Resources: {}\n",
                                  clientToken="u1")["component"]
    assert got["deploymentStatus"] == "IN_PROGRESS"
    assert got["lastClientRequestToken"] == "u1"
    d = proton.get_deployment(id=got["lastAttemptedDeploymentId"])["deployment"]
    assert d["initialState"]["component"]["templateFile"] == TEMPLATE
    assert d["targetState"]["component"]["templateFile"] == "Resources: {}\n"


def test_a_failed_update_puts_the_attachment_back(proton, world):
    c = attach(proton)
    notify(proton, c)
    got = proton.update_component(name="cache", deploymentType="CURRENT_VERSION", serviceName="",
                                  serviceInstanceName="")["component"]
    assert "serviceName" not in got
    notify(proton, got, status="FAILED", statusMessage="stack failed")
    back = proton.get_component(name="cache")["component"]
    assert (back["deploymentStatus"], back["deploymentStatusMessage"]) == ("FAILED", "stack failed")
    assert (back["serviceName"], back["serviceInstanceName"]) == ("worker", "worker-dev")


def test_a_component_in_progress_can_be_cancelled(proton, world):
    attach(proton)
    got = proton.cancel_component_deployment(componentName="cache")["component"]
    assert got["deploymentStatus"] == "CANCELLED"
    with pytest.raises(ClientError) as e:
        proton.cancel_component_deployment(componentName="cache")
    assert error_of(e)[0] == "ValidationException"


def test_an_instance_with_a_component_cannot_be_deleted(proton, world):
    c = attach(proton)
    notify(proton, c)
    notify(proton, proton.get_service_instance(serviceName="worker", name="worker-dev")["serviceInstance"])
    notify(proton, proton.get_service(name="worker")["service"]["pipeline"])
    with pytest.raises(ClientError) as e:
        proton.delete_service(name="worker")
    code, message, status = error_of(e)
    assert (code, status) == ("ConflictException", 409)
    assert "component cache attached" in message


def test_an_environment_with_components_cannot_be_deleted(proton, world):
    notify(proton, create_env(proton, name="staging"))
    proton.create_component(name="lonely", manifest=MANIFEST, templateFile=TEMPLATE, environmentName="staging")
    with pytest.raises(ClientError) as e:
        proton.delete_environment(name="staging")
    code, message, _ = error_of(e)
    assert code == "ConflictException" and "lonely" in message


def test_deleting_a_deployed_component_waits_for_the_teardown_report(proton, world):
    c = attach(proton)
    notify(proton, c)
    deleting = proton.delete_component(name="cache")["component"]
    assert deleting["deploymentStatus"] == "DELETE_IN_PROGRESS"
    assert proton.delete_component(name="cache")["component"]["deploymentStatus"] == "DELETE_IN_PROGRESS"
    notify(proton, deleting)
    with pytest.raises(ClientError) as e:
        proton.get_component(name="cache")
    assert error_of(e)[0] == "ResourceNotFoundException"
    assert "component" not in proton.delete_component(name="cache")


def test_a_never_deployed_component_is_deleted_at_once(proton, world):
    attach(proton)
    proton.cancel_component_deployment(componentName="cache")
    proton.delete_component(name="cache")
    assert proton.list_components()["components"] == []


def test_deployments_list_by_component(proton, world):
    c = attach(proton)
    notify(proton, c)
    proton.update_component(name="cache", deploymentType="CURRENT_VERSION", templateFile="Resources: {}\n")
    ids = [d["id"] for d in proton.list_deployments(componentName="cache")["deployments"]]
    assert len(ids) == 2 and ids[0] == c["lastAttemptedDeploymentId"]


def test_the_resources_summary_counts_components(proton, world):
    attach(proton)
    assert proton.get_resources_summary()["counts"]["components"] == {"total": 1, "failed": 0}
