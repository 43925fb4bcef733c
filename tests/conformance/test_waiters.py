"""botocore's Proton waiters, each run against the engine: every one the model defines reaches
its success state through real deployments reported by the self-managed side."""

import botocore.session

from bundles import fixture_files, put, tar_gz
from test_components import MANIFEST, TEMPLATE, attach, world  # noqa: F401 (fixture)
from test_environments import notify

FAST = {"Delay": 1, "MaxAttempts": 10}


def test_every_waiter_of_the_model_is_covered_here():
    names = botocore.session.get_session().get_waiter_model("proton").waiter_names
    tested = {"ComponentDeleted", "ComponentDeployed", "EnvironmentDeployed", "EnvironmentTemplateVersionRegistered",
              "ServiceCreated", "ServiceDeleted", "ServiceInstanceDeployed", "ServicePipelineDeployed",
              "ServiceTemplateVersionRegistered", "ServiceUpdated"}
    assert set(names) == tested


def test_template_version_registered_waiters(server, proton):
    proton.create_environment_template(name="env-t")
    src = put(server, "env-t/b.tar.gz", tar_gz(fixture_files("queue-env")))
    proton.create_environment_template_version(templateName="env-t", source=src)
    proton.get_waiter("environment_template_version_registered").wait(
        templateName="env-t", majorVersion="1", minorVersion="0", WaiterConfig=FAST)
    proton.create_service_template(name="svc-t")
    src = put(server, "svc-t/b.tar.gz", tar_gz(fixture_files("worker-svc")))
    proton.update_environment_template_version(templateName="env-t", majorVersion="1", minorVersion="0",
                                               status="PUBLISHED")
    proton.create_service_template_version(
        templateName="svc-t", source=src, compatibleEnvironmentTemplates=[{"templateName": "env-t",
                                                                           "majorVersion": "1"}])
    proton.get_waiter("service_template_version_registered").wait(
        templateName="svc-t", majorVersion="1", minorVersion="0", WaiterConfig=FAST)


def test_instance_pipeline_and_service_waiters(proton, world):
    instance = proton.get_service_instance(serviceName="worker", name="worker-dev")["serviceInstance"]
    notify(proton, instance)
    proton.get_waiter("service_instance_deployed").wait(serviceName="worker", name="worker-dev",
                                                        WaiterConfig=FAST)
    notify(proton, proton.get_service(name="worker")["service"]["pipeline"])
    proton.get_waiter("service_pipeline_deployed").wait(name="worker", WaiterConfig=FAST)
    proton.get_waiter("service_created").wait(name="worker", WaiterConfig=FAST)
    proton.update_service(name="worker", description="updated")
    proton.get_waiter("service_updated").wait(name="worker", WaiterConfig=FAST)
    proton.delete_service(name="worker")
    for i in proton.list_service_instances(serviceName="worker")["serviceInstances"]:
        notify(proton, i)
    notify(proton, proton.get_service(name="worker")["service"]["pipeline"])
    proton.get_waiter("service_deleted").wait(name="worker", WaiterConfig=FAST)


def test_component_waiters(proton, world):
    c = attach(proton)
    notify(proton, c)
    proton.get_waiter("component_deployed").wait(name="cache", WaiterConfig=FAST)
    deleting = proton.delete_component(name="cache")["component"]
    notify(proton, deleting)
    proton.get_waiter("component_deleted").wait(name="cache", WaiterConfig=FAST)
