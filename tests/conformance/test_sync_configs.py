"""Git sync configuration: template and service sync configs on linked repositories, the
repository's sync definitions, and the sync state queries (no attempt is reported before a
sync has run) — through boto3."""

import pytest
from botocore.exceptions import ClientError

from conftest import error_of
from test_environments import create_env, notify, publish
from test_services import create_service, publish_service

REPO = {"repositoryProvider": "GITHUB", "repositoryName": "acme/templates"}
CONNECTION = "arn:aws:codestar-connections:eu-west-1:123456789012:connection/0b1c2d3e-aaaa-bbbb-cccc-123456789012"


@pytest.fixture()
def linked(proton):
    proton.create_repository(provider="GITHUB", name="acme/templates", connectionArn=CONNECTION)
    proton.create_environment_template(name="vpc")


def template_config(proton, **kw):
    return proton.create_template_sync_config(templateName="vpc", templateType="ENVIRONMENT", branch="main",
                                              **{**REPO, **kw})["templateSyncConfig"]


def test_a_template_sync_config_is_created_and_read_back(proton, linked):
    c = template_config(proton, subdirectory="templates")
    assert c == {"templateName": "vpc", "templateType": "ENVIRONMENT", "branch": "main",
                 "repositoryProvider": "GITHUB", "repositoryName": "acme/templates", "subdirectory": "templates"}
    assert proton.get_template_sync_config(templateName="vpc", templateType="ENVIRONMENT")[
        "templateSyncConfig"] == c


def test_a_template_has_one_sync_config(proton, linked):
    template_config(proton)
    with pytest.raises(ClientError) as e:
        template_config(proton)
    assert error_of(e)[:1] == ("ConflictException",)


def test_the_repository_must_be_linked_first(proton):
    proton.create_environment_template(name="vpc")
    with pytest.raises(ClientError) as e:
        template_config(proton)
    code, message, status = error_of(e)
    assert (code, status) == ("ValidationException", 400)
    assert "link it with CreateRepository first" in message


def test_the_template_must_exist(proton, linked):
    with pytest.raises(ClientError) as e:
        proton.create_template_sync_config(templateName="nope", templateType="SERVICE", branch="main", **REPO)
    code, message, _ = error_of(e)
    assert code == "ValidationException" and message == "The service template nope doesn't exist."


def test_a_template_sync_config_is_updated_and_deleted(proton, linked):
    template_config(proton)
    got = proton.update_template_sync_config(templateName="vpc", templateType="ENVIRONMENT", branch="release",
                                             **REPO)["templateSyncConfig"]
    assert (got["branch"], "subdirectory" in got) == ("release", False)
    assert proton.delete_template_sync_config(templateName="vpc", templateType="ENVIRONMENT")[
        "templateSyncConfig"]["branch"] == "release"
    with pytest.raises(ClientError) as e:
        proton.get_template_sync_config(templateName="vpc", templateType="ENVIRONMENT")
    assert error_of(e)[:1] == ("ResourceNotFoundException",)


def test_a_repository_in_use_by_a_sync_config_cannot_be_deleted(proton, linked):
    template_config(proton)
    with pytest.raises(ClientError) as e:
        proton.delete_repository(provider="GITHUB", name="acme/templates")
    assert error_of(e)[0] == "ConflictException"
    proton.delete_template_sync_config(templateName="vpc", templateType="ENVIRONMENT")
    assert proton.delete_repository(provider="GITHUB", name="acme/templates")["repository"]["name"] == "acme/templates"


def test_the_repository_lists_its_template_sync_definitions(proton, linked):
    template_config(proton, subdirectory="env")
    defs = proton.list_repository_sync_definitions(syncType="TEMPLATE_SYNC", **REPO)["syncDefinitions"]
    assert defs == [{"branch": "main", "directory": "env", "parent": "vpc", "target": "vpc"}]
    assert proton.list_repository_sync_definitions(syncType="SERVICE_SYNC", **REPO)["syncDefinitions"] == []


def test_no_sync_attempt_is_reported_before_a_sync_runs(proton, linked):
    template_config(proton)
    status = proton.get_template_sync_status(templateName="vpc", templateType="ENVIRONMENT", templateVersion="1")
    assert {k for k in status if k != "ResponseMetadata"} == set()
    repo = proton.get_repository_sync_status(branch="main", syncType="TEMPLATE_SYNC", **REPO)
    assert {k for k in repo if k != "ResponseMetadata"} == set()


def test_template_sync_status_needs_a_config(proton, linked):
    with pytest.raises(ClientError) as e:
        proton.get_template_sync_status(templateName="vpc", templateType="ENVIRONMENT", templateVersion="1")
    assert error_of(e)[:1] == ("ResourceNotFoundException",)


def test_repository_sync_status_of_an_unlinked_repository_is_not_found(proton):
    with pytest.raises(ClientError) as e:
        proton.get_repository_sync_status(branch="main", syncType="TEMPLATE_SYNC", **REPO)
    assert error_of(e)[2] == 404


@pytest.fixture()
def service(server, proton, linked):
    proton.create_environment_template(name="queue-env", provisioning="CUSTOMER_MANAGED")
    publish(proton, server, "queue-env")
    notify(proton, create_env(proton, name="dev"))
    publish_service(proton, server)
    create_service(proton, spec="proton: ServiceSpec\npipeline:\n  test_command: \"t\"\n"
                                "instances:\n  - name: \"worker-dev\"\n    environment: \"dev\"\n")


def test_a_service_sync_config_names_its_ops_file(proton, service):
    c = proton.create_service_sync_config(serviceName="worker", branch="main", filePath="proton-ops.yaml",
                                          **REPO)["serviceSyncConfig"]
    assert c == {"serviceName": "worker", "branch": "main", "filePath": "proton-ops.yaml",
                 "repositoryProvider": "GITHUB", "repositoryName": "acme/templates"}
    assert proton.get_service_sync_config(serviceName="worker")["serviceSyncConfig"] == c
    defs = proton.list_repository_sync_definitions(syncType="SERVICE_SYNC", **REPO)["syncDefinitions"]
    assert defs == [{"branch": "main", "directory": "proton-ops.yaml", "parent": "worker", "target": "worker"}]
    got = proton.update_service_sync_config(serviceName="worker", branch="dev", filePath="ops/p.yaml", **REPO)[
        "serviceSyncConfig"]
    assert (got["branch"], got["filePath"]) == ("dev", "ops/p.yaml")
    proton.delete_service_sync_config(serviceName="worker")
    with pytest.raises(ClientError) as e:
        proton.get_service_sync_config(serviceName="worker")
    assert error_of(e)[:1] == ("ResourceNotFoundException",)


def test_an_ops_file_outside_the_repository_is_refused(proton, service):
    with pytest.raises(ClientError) as e:
        proton.create_service_sync_config(serviceName="worker", branch="main", filePath="../etc/passwd", **REPO)
    assert error_of(e)[0] == "ValidationException"


def test_a_service_sync_config_needs_the_service(proton, linked):
    with pytest.raises(ClientError) as e:
        proton.create_service_sync_config(serviceName="ghost", branch="main", filePath="p.yaml", **REPO)
    assert error_of(e)[1] == "The service ghost doesn't exist."


def test_a_service_without_blockers_has_an_empty_summary(proton, service):
    assert proton.get_service_sync_blocker_summary(serviceName="worker")["serviceSyncBlockerSummary"] == {
        "serviceName": "worker", "latestBlockers": []}
    status = proton.get_service_instance_sync_status(serviceName="worker", serviceInstanceName="worker-dev")
    assert {k for k in status if k != "ResponseMetadata"} == set()


def test_an_unknown_blocker_is_not_found(proton, service):
    with pytest.raises(ClientError) as e:
        proton.update_service_sync_blocker(id="nope", resolvedReason="fixed")
    assert error_of(e)[:1] == ("ResourceNotFoundException",)


def test_a_recorded_blocker_is_resolved_once(server, proton, service):
    # The sync worker records blockers; here one is written as it would be.
    doc = ('{"blocker":{"id":"b-1","type":"AUTOMATED","status":"ACTIVE","createdAt":1700000000,'
           '"createdReason":"the last sync failed"},"serviceName":"worker"}')
    server.sql("INSERT INTO resources (kind, account_id, name, parent, status, arn, created_at, updated_at, "
               f"version, doc) VALUES ('sync_blocker', '123456789012', 'b-1', 'worker', 'ACTIVE', 'blocker-b-1', "
               f"0, 0, 1, '{doc}')")
    summary = proton.get_service_sync_blocker_summary(serviceName="worker")["serviceSyncBlockerSummary"]
    assert [b["id"] for b in summary["latestBlockers"]] == ["b-1"]
    got = proton.update_service_sync_blocker(id="b-1", resolvedReason="fixed the ops file")
    assert got["serviceName"] == "worker"
    assert (got["serviceSyncBlocker"]["status"], got["serviceSyncBlocker"]["resolvedReason"]) == (
        "RESOLVED", "fixed the ops file")
    with pytest.raises(ClientError) as e:
        proton.update_service_sync_blocker(id="b-1", resolvedReason="again")
    assert error_of(e)[0] == "ConflictException"
