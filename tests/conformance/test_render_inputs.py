"""Baryon's GetRenderInputs (X-Amz-Target `Baryon20261203.GetRenderInputs`, awsJson 1.0, SigV4 for
`proton`): what the console's rendered-IaC preview renders with, loaded as a deployment loads it."""

import pytest

from bundles import fixture_files, publish_environment_template
from conftest import ACCOUNT
from test_environments import REPO, SPEC, notify, wait_status
from test_protocol import raw
from test_services import publish_service

TARGET = "Baryon20261203.GetRenderInputs"


def render_inputs(server, **body):
    return raw(server, TARGET, body)


@pytest.fixture()
def queue_env(server, proton):
    publish_environment_template(proton, server, "queue-env", fixture_files("queue-env"),
                                 provisioning="CUSTOMER_MANAGED")
    return "queue-env"


def test_a_new_environment_gets_the_bundle_schema_and_namespaces_and_no_current_side(server, queue_env):
    status, _, out = render_inputs(server, target="ENVIRONMENT", environmentName="staging",
                                   templateName="queue-env", templateMajorVersion="1",
                                   templateMinorVersion="0")
    assert status == 200, out
    proposed = out["proposed"]
    assert proposed["target"] == "environment"
    assert sorted(proposed["files"]) == ["infrastructure/cloudformation.yaml",
                                         "infrastructure/manifest.yaml", "schema/schema.yaml"]
    assert proposed["files"]["infrastructure/cloudformation.yaml"] == (
        fixture_files("queue-env")["infrastructure/cloudformation.yaml"].decode())
    assert proposed["schema"] == fixture_files("queue-env")["schema/schema.yaml"].decode()
    assert proposed["options"]["environment_name"] == "staging"
    assert proposed["options"]["account_id"] == ACCOUNT
    assert proposed["resource"]["arn"] == f"arn:aws:proton:eu-west-1:{ACCOUNT}:environment/staging"
    assert proposed["resource"]["deployment_id"] == "(next deployment)"
    assert "spec" not in proposed
    assert "current" not in out


def test_an_existing_environment_gets_its_deployed_version_and_spec_as_the_current_side(server, proton, queue_env):
    env = proton.create_environment(name="dev", templateName="queue-env", templateMajorVersion="1",
                                    spec=SPEC, provisioningRepository=REPO)["environment"]
    notify(proton, env)
    deployed = wait_status(proton, "dev")
    status, _, out = render_inputs(server, target="ENVIRONMENT", environmentName="dev",
                                   templateName="queue-env", templateMajorVersion="1",
                                   templateMinorVersion="0")
    assert status == 200, out
    current = out["current"]
    assert current["spec"] == SPEC
    assert (current["templateName"], current["templateMajorVersion"], current["templateMinorVersion"]) == (
        "queue-env", "1", "0")
    assert current["resource"]["deployment_id"] == deployed["lastSucceededDeploymentId"]


def test_a_version_that_does_not_exist_is_resource_not_found(server, queue_env):
    status, _, out = render_inputs(server, target="ENVIRONMENT", environmentName="dev",
                                   templateName="queue-env", templateMajorVersion="7",
                                   templateMinorVersion="0")
    assert status == 404
    assert out == {"__type": "ResourceNotFoundException",
                   "message": "environment template queue-env:7.0 no longer exists"}


def test_a_service_instance_preview_needs_its_service_and_instance_names(server, queue_env):
    status, _, out = render_inputs(server, target="SERVICE_INSTANCE", environmentName="dev",
                                   serviceName="api", templateName="worker-svc",
                                   templateMajorVersion="1", templateMinorVersion="0")
    assert status == 400
    assert out == {"__type": "ValidationException",
                   "message": "serviceInstanceName is required to preview a service instance"}


def test_an_unknown_member_is_a_serialization_error(server, queue_env):
    status, _, out = render_inputs(server, target="ENVIRONMENT", environmentName="dev",
                                   templateName="queue-env", templateMajorVersion="1",
                                   templateMinorVersion="0", spec="x")
    assert status == 400
    assert out["__type"] == "SerializationException"
    assert "unknown field `spec`" in out["message"]


def test_an_unknown_baryon_operation_is_refused(server):
    status, _, out = raw(server, "Baryon20261203.RenderEverything", {})
    assert (status, out["__type"]) == (400, "UnknownOperationException")
    assert out["message"] == "Unknown operation Baryon20261203.RenderEverything"


def test_an_unsigned_request_is_refused(server):
    status, _, out = raw(server, TARGET, {}, sign=False)
    assert (status, out["__type"]) == (403, "MissingAuthenticationTokenException")


def test_a_pipeline_preview_gets_the_deployed_pipeline_spec_as_the_current_side(server, proton, queue_env):
    publish_service(proton, server)
    spec = "proton: ServiceSpec\npipeline:\n  test_command: \"make\"\ninstances: []\n"
    proton.create_service(name="api", templateName="worker-svc", templateMajorVersion="1", spec=spec,
                          repositoryConnectionArn="arn:aws:codestar-connections:us-east-1:123456789012:connection/abc",
                          repositoryId="acme/api", branchName="main")
    status, _, out = render_inputs(server, target="SERVICE_PIPELINE", serviceName="api",
                                   templateName="worker-svc", templateMajorVersion="1",
                                   templateMinorVersion="0")
    assert status == 200, out
    assert out["current"]["spec"] == spec
    assert out["proposed"]["options"]["service"] == {
        "name": "api", "branch_name": "main",
        "repository_connection_arn": "arn:aws:codestar-connections:us-east-1:123456789012:connection/abc",
        "repository_id": "acme/api"}
    assert out["proposed"]["resource"]["arn"] == f"arn:aws:proton:eu-west-1:{ACCOUNT}:service/api/pipeline"
