"""AWS-managed provisioning through the CloudFormation provisioner against a real CloudFormation
API on loopback (moto_server, started by the harness): environments and service instances
render their templates (environment outputs flowing into the instance), become stacks, reach
SUCCEEDED with the stacks' outputs and resources, update, fail with the reason, and are deleted.
moto is synchronous, so no test here depends on IN_PROGRESS stack states."""

import os
import subprocess
import time
import urllib.request
from pathlib import Path

import boto3
import pytest

from conftest import MOTO_ENV, REGION, Server
from test_environments import SPEC, publish, wait_status
from test_services import CONNECTION, publish_service

ROLE = "arn:aws:iam::123456789012:role/proton"


@pytest.fixture()
def cfn(request, tmp_path, moto_url):
    """A fresh engine provisioning through moto's CloudFormation (moto reset first)."""
    urllib.request.urlopen(urllib.request.Request(moto_url + "/moto-api/reset", method="POST"), timeout=10)
    database = request.getfixturevalue("postgres").new_database() if request.param == "postgres" else None
    s = Server(tmp_path / "data", database, extra_args=["--cloudformation-endpoint", moto_url], extra_env=MOTO_ENV)
    yield s
    s.stop()


def pytest_generate_tests(metafunc):
    if "cfn" in metafunc.fixturenames:
        metafunc.parametrize("cfn", ["sqlite", "postgres"], indirect=True)


def aws(moto_url, service):
    return boto3.client(service, endpoint_url=moto_url, region_name=REGION, **{
        "aws_access_key_id": "testing", "aws_secret_access_key": "testing"})


def deploy_env(proton, cfn, name="dev", spec=SPEC):
    proton.create_environment_template(name="queue-env")
    publish(proton, cfn, "queue-env")
    proton.create_environment(name=name, templateName="queue-env", templateMajorVersion="1", spec=spec,
                              protonServiceRoleArn=ROLE)
    return wait_status(proton, name)


def test_an_environment_becomes_a_stack_with_its_outputs(cfn, moto_url):
    proton = cfn.client()
    env = deploy_env(proton, cfn)
    assert env["deploymentStatus"] == "SUCCEEDED", env.get("deploymentStatusMessage")
    outputs = {o["key"]: o["valueString"] for o in proton.list_environment_outputs(environmentName="dev")["outputs"]}
    assert outputs["QueueUrl"].endswith("/123456789012/orders")
    assert outputs["QueueArn"] == f"arn:aws:sqs:{REGION}:123456789012:orders"
    resources = proton.list_environment_provisioned_resources(environmentName="dev")["provisionedResources"]
    assert sorted((r["name"], r["provisioningEngine"]) for r in resources) == [
        ("Queue", "CLOUDFORMATION"), ("QueueNameParameter", "CLOUDFORMATION")]
    stack = aws(moto_url, "cloudformation").describe_stacks(StackName="baryon-123456789012-env-dev")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert aws(moto_url, "ssm").get_parameter(Name="/baryon/dev/queue")["Parameter"]["Value"] == "orders"


def test_an_instance_renders_its_environments_outputs(cfn, moto_url):
    proton = cfn.client()
    deploy_env(proton, cfn)
    publish_service(proton, cfn, pipeline_provisioning="CUSTOMER_MANAGED")
    spec = "proton: ServiceSpec\npipeline:\n  test_command: \"t\"\ninstances:\n  - name: \"worker-dev\"\n" \
           "    environment: \"dev\"\n    spec:\n      topic_display_name: \"jobs\"\n"
    proton.create_service(name="worker", templateName="worker-svc", templateMajorVersion="1", spec=spec,
                          repositoryConnectionArn=CONNECTION, repositoryId="acme/worker", branchName="main")
    deadline = time.monotonic() + 30
    while (i := proton.get_service_instance(serviceName="worker", name="worker-dev")["serviceInstance"])[
            "deploymentStatus"] == "IN_PROGRESS" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert i["deploymentStatus"] == "SUCCEEDED", i.get("deploymentStatusMessage")
    outputs = {o["key"]: o["valueString"] for o in proton.list_service_instance_outputs(
        serviceName="worker", serviceInstanceName="worker-dev")["outputs"]}
    env_outputs = {o["key"]: o["valueString"] for o in proton.list_environment_outputs(environmentName="dev")["outputs"]}
    assert outputs["QueueUrl"] == env_outputs["QueueUrl"]
    topics = aws(moto_url, "sns").list_topics()["Topics"]
    assert [t["TopicArn"] for t in topics] == [outputs["TopicArn"]]


def test_an_update_redeploys_the_stack_and_an_unchanged_one_succeeds(cfn, moto_url):
    proton = cfn.client()
    deploy_env(proton, cfn)
    proton.update_environment(name="dev", deploymentType="CURRENT_VERSION",
                              spec=SPEC + "  retention_seconds: 600\n")
    env = wait_status(proton, "dev")
    assert env["deploymentStatus"] == "SUCCEEDED", env.get("deploymentStatusMessage")
    # moto does not update an SQS queue in place; the stack's template shows what was sent.
    body = aws(moto_url, "cloudformation").get_template(StackName="baryon-123456789012-env-dev")["TemplateBody"]
    assert "MessageRetentionPeriod: 600\n" in body
    proton.update_environment(name="dev", deploymentType="CURRENT_VERSION")
    again = wait_status(proton, "dev")
    assert again["deploymentStatus"] == "SUCCEEDED"
    assert again["lastSucceededDeploymentId"] == again["lastAttemptedDeploymentId"] != env["lastSucceededDeploymentId"]


def test_a_template_that_does_not_render_fails_with_the_reason(cfn, moto_url):
    proton = cfn.client()
    deploy_env(proton, cfn)
    publish_service(proton, cfn, pipeline_provisioning="CUSTOMER_MANAGED")
    # The instance template reads environment.outputs.QueueUrl; an environment without that
    # output (never deployed here: its stack is deleted) makes the render fail.
    aws(moto_url, "cloudformation")  # moto is up
    proton.create_environment(name="bare", templateName="queue-env", templateMajorVersion="1",
                              spec=SPEC.replace("orders", "other"), protonServiceRoleArn=ROLE)
    wait_status(proton, "bare")
    cfn.sql("DELETE FROM resources WHERE kind = 'outputs'")
    spec = "proton: ServiceSpec\npipeline:\n  test_command: \"t\"\ninstances:\n  - name: \"w\"\n    environment: \"bare\"\n"
    proton.create_service(name="worker", templateName="worker-svc", templateMajorVersion="1", spec=spec,
                          repositoryConnectionArn=CONNECTION, repositoryId="acme/worker", branchName="main")
    deadline = time.monotonic() + 30
    while (i := proton.get_service_instance(serviceName="worker", name="w")["serviceInstance"])[
            "deploymentStatus"] == "IN_PROGRESS" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert i["deploymentStatus"] == "FAILED"
    assert i["deploymentStatusMessage"].startswith("Rendering failed:")
    assert "environment.outputs.QueueUrl" in i["deploymentStatusMessage"]


def test_deleting_an_environment_deletes_its_stack(cfn, moto_url):
    proton = cfn.client()
    deploy_env(proton, cfn)
    proton.delete_environment(name="dev")
    deadline = time.monotonic() + 30
    while proton.list_environments()["environments"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert proton.list_environments()["environments"] == []
    stacks = aws(moto_url, "cloudformation").list_stacks()["StackSummaries"]
    assert [(s["StackName"], s["StackStatus"]) for s in stacks] == [("baryon-123456789012-env-dev", "DELETE_COMPLETE")]


COMPONENT_MANIFEST = """infrastructure:
  templates:
    - file: "cloudformation.yaml"
      rendering_engine: jinja
      template_language: cloudformation
"""
# JSON (moto reads it reliably); the parameter's value comes from the instance's inputs and the
# environment's outputs, its name from the component's.
COMPONENT_TEMPLATE = """{
  "Resources": {
    "Note": {
      "Type": "AWS::SSM::Parameter",
      "Properties": {
        "Name": "/baryon/{{ component.name }}/{{ service_instance.name }}",
        "Type": "String",
        "Value": "{{ service_instance.inputs.topic_display_name }} via {{ environment.outputs.QueueUrl }}"
      }
    }
  },
  "Outputs": {"NoteName": {"Value": {"Ref": "Note"}}}
}
"""


def test_an_attached_component_becomes_a_stack_rendered_with_its_instance_and_environment(cfn, moto_url):
    proton = cfn.client()
    proton.create_environment_template(name="queue-env")
    publish(proton, cfn, "queue-env")
    proton.create_environment(name="dev", templateName="queue-env", templateMajorVersion="1", spec=SPEC,
                              protonServiceRoleArn=ROLE, componentRoleArn=ROLE)
    assert wait_status(proton, "dev")["deploymentStatus"] == "SUCCEEDED"
    publish_service(proton, cfn, supportedComponentSources=["DIRECTLY_DEFINED"])
    spec = "proton: ServiceSpec\npipeline:\n  test_command: \"t\"\ninstances:\n  - name: \"worker-dev\"\n" \
           "    environment: \"dev\"\n    spec:\n      topic_display_name: \"jobs\"\n"
    proton.create_service(name="worker", templateName="worker-svc", templateMajorVersion="1", spec=spec,
                          repositoryConnectionArn=CONNECTION, repositoryId="acme/worker", branchName="main")
    proton.create_component(name="notes", manifest=COMPONENT_MANIFEST, templateFile=COMPONENT_TEMPLATE,
                            serviceName="worker", serviceInstanceName="worker-dev")
    deadline = time.monotonic() + 30
    while (c := proton.get_component(name="notes")["component"])["deploymentStatus"] == "IN_PROGRESS" \
            and time.monotonic() < deadline:
        time.sleep(0.2)
    assert c["deploymentStatus"] == "SUCCEEDED", c.get("deploymentStatusMessage")
    assert proton.list_component_outputs(componentName="notes")["outputs"] == [
        {"key": "NoteName", "valueString": "/baryon/notes/worker-dev"}]
    queue_url = {o["key"]: o["valueString"] for o in proton.list_environment_outputs(environmentName="dev")[
        "outputs"]}["QueueUrl"]
    assert aws(moto_url, "ssm").get_parameter(Name="/baryon/notes/worker-dev")["Parameter"]["Value"] == (
        f"jobs via {queue_url}")
    stacks = aws(moto_url, "cloudformation").describe_stacks(
        StackName="baryon-123456789012-component-notes")["Stacks"]
    assert stacks[0]["StackStatus"] == "CREATE_COMPLETE"
