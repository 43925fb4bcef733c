"""The external conformance set: every template bundle of the aws-samples Proton templates in
../shared/fixtures/proton-samples (CloudFormation and Terraform, environment and service) is
packed as a .tar.gz the way an administrator uploads it and registers through the API as a DRAFT
version with its schema; the sample component templates are accepted by CreateComponent.
Skipped, saying so, when ../shared is absent."""

import time
from pathlib import Path

import pytest

from bundles import fixture_files, publish_environment_template, put, tar_gz

SAMPLES = (Path(__file__).resolve().parents[2] / "../shared/fixtures/proton-samples").resolve()
TEMPLATES = sorted(p.parent.parent for p in SAMPLES.rglob("schema/schema.yaml")) if SAMPLES.is_dir() else []
COMPONENTS = sorted(p.parent for p in SAMPLES.rglob("component-templates/*/manifest.yaml")) \
    if SAMPLES.is_dir() else []


def name_of(bundle):
    """`cloudformation/service-templates/apigw-lambda-svc/v1` → `cloudformation-apigw-lambda-svc`."""
    rel = bundle.relative_to(SAMPLES).parts
    return f"{rel[0]}-{rel[-2]}"


def files_of(bundle):
    return {str(p.relative_to(bundle)): p.read_bytes() for p in sorted(bundle.rglob("*")) if p.is_file()}


def wait_registered(get):
    deadline = time.monotonic() + 30
    while (v := get())["status"] == "REGISTRATION_IN_PROGRESS" and time.monotonic() < deadline:
        time.sleep(0.05)
    return v


def test_the_aws_samples_are_present_or_the_skip_is_said():
    if not SAMPLES.is_dir():
        print(f"SKIPPED: {SAMPLES} is absent; the aws-samples registration tests did not run")
        pytest.skip(f"{SAMPLES} is absent")
    assert len(TEMPLATES) == 12 and len(COMPONENTS) == 2


@pytest.mark.parametrize("bundle", TEMPLATES, ids=[str(b.relative_to(SAMPLES)) for b in TEMPLATES])
def test_every_aws_sample_template_bundle_registers_as_a_draft_version(server, proton, bundle):
    files = files_of(bundle)
    schema = files["schema/schema.yaml"].decode()
    name = name_of(bundle)
    src = put(server, f"samples/{name}.tar.gz", tar_gz(files))
    if "environment_input_type" in schema:
        proton.create_environment_template(name=name)
        proton.create_environment_template_version(templateName=name, source=src)
        v = wait_registered(lambda: proton.get_environment_template_version(
            templateName=name, majorVersion="1", minorVersion="0")["environmentTemplateVersion"])
    else:
        publish_environment_template(proton, server, "compat-env", fixture_files("queue-env"))
        proton.create_service_template(name=name)
        proton.create_service_template_version(
            templateName=name, source=src,
            compatibleEnvironmentTemplates=[{"templateName": "compat-env", "majorVersion": "1"}])
        v = wait_registered(lambda: proton.get_service_template_version(
            templateName=name, majorVersion="1", minorVersion="0")["serviceTemplateVersion"])
    assert v["status"] == "DRAFT", v.get("statusMessage")
    assert v["schema"] == schema


@pytest.mark.parametrize("component", COMPONENTS, ids=[str(c.relative_to(SAMPLES)) for c in COMPONENTS])
def test_every_aws_sample_component_template_is_accepted_by_create_component(server, proton, component):
    publish_environment_template(proton, server, "self-env", fixture_files("queue-env"),
                                 provisioning="CUSTOMER_MANAGED")
    proton.create_environment(name="dev", templateName="self-env", templateMajorVersion="1",
                              spec="proton: EnvironmentSpec\nspec:\n  queue_name: orders\n",
                              provisioningRepository={"provider": "GITHUB", "name": "acme/infra", "branch": "main"})
    files = {p.name: p.read_text() for p in component.iterdir() if p.is_file()}
    assert len(files) == 2  # the manifest and the one file it names
    template = next(text for n, text in files.items() if n != "manifest.yaml")
    c = proton.create_component(name="bucket", environmentName="dev", manifest=files["manifest.yaml"],
                                templateFile=template)["component"]
    assert (c["name"], c["deploymentStatus"]) == ("bucket", "IN_PROGRESS")
