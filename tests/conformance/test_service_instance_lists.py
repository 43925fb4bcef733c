"""ListServiceInstances across services: filters (including times and version lag) and
sorting, paged with tokens tied to the request — through boto3."""

import datetime

import pytest
from botocore.exceptions import ClientError

from conftest import error_of
from test_environments import notify
from test_services import create_service, world  # noqa: F401 (fixture)


def names(proton, **kw):
    return [(i["serviceName"], i["name"]) for i in proton.list_service_instances(**kw)["serviceInstances"]]


def rfc3339(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_instances_sort_by_environment_descending(proton, world):
    create_service(proton)
    assert names(proton, sortBy="environmentName", sortOrder="DESCENDING") == [
        ("worker", "worker-prod"), ("worker", "worker-dev")]
    assert names(proton, sortBy="environmentName") == [("worker", "worker-dev"), ("worker", "worker-prod")]


def test_sorted_pages_continue_where_they_stopped(proton, world):
    create_service(proton)
    first = proton.list_service_instances(sortBy="name", sortOrder="DESCENDING", maxResults=1)
    assert [i["name"] for i in first["serviceInstances"]] == ["worker-prod"]
    rest = proton.list_service_instances(sortBy="name", sortOrder="DESCENDING", maxResults=1,
                                         nextToken=first["nextToken"])
    assert [i["name"] for i in rest["serviceInstances"]] == ["worker-dev"]
    assert "nextToken" not in rest


def test_a_token_is_tied_to_its_sort(proton, world):
    create_service(proton)
    first = proton.list_service_instances(sortBy="name", maxResults=1)
    with pytest.raises(ClientError) as e:
        proton.list_service_instances(sortBy="createdAt", maxResults=1, nextToken=first["nextToken"])
    assert error_of(e)[0] == "ValidationException"


def test_instances_filter_by_deployment_status_and_environment(proton, world):
    create_service(proton)
    dev = proton.get_service_instance(serviceName="worker", name="worker-dev")["serviceInstance"]
    notify(proton, dev)
    assert names(proton, filters=[{"key": "deploymentStatus", "value": "SUCCEEDED"}]) == [("worker", "worker-dev")]
    assert names(proton, filters=[{"key": "environmentName", "value": "prod"}]) == [("worker", "worker-prod")]
    assert names(proton, filters=[{"key": "environmentName", "value": "prod"},
                                  {"key": "deploymentStatus", "value": "SUCCEEDED"}]) == []


def test_instances_filter_by_creation_time(proton, world):
    create_service(proton)
    created = proton.get_service_instance(serviceName="worker", name="worker-dev")["serviceInstance"]["createdAt"]
    epoch = created.timestamp()
    assert len(names(proton, filters=[{"key": "createdAtAfter", "value": rfc3339(epoch - 60)}])) == 2
    assert names(proton, filters=[{"key": "createdAtBefore", "value": rfc3339(epoch - 60)}]) == []
    assert names(proton, filters=[{"key": "lastDeploymentAttemptedAtAfter", "value": rfc3339(epoch + 3600)}]) == []


def test_a_bad_time_filter_is_a_validation_error(proton, world):
    with pytest.raises(ClientError) as e:
        proton.list_service_instances(filters=[{"key": "createdAtAfter", "value": "yesterday"}])
    code, message, _ = error_of(e)
    assert code == "ValidationException" and "RFC 3339" in message


def test_instances_filter_by_version_lag(proton, world):
    create_service(proton)
    assert len(names(proton, filters=[{"key": "deployedTemplateVersionStatus", "value": "UP_TO_DATE"}])) == 2
    assert names(proton, filters=[{"key": "deployedTemplateVersionStatus", "value": "BEHIND_MAJOR"}]) == []
    with pytest.raises(ClientError) as e:
        proton.list_service_instances(filters=[{"key": "deployedTemplateVersionStatus", "value": "OLD"}])
    assert error_of(e)[0] == "ValidationException"


def test_instances_of_a_missing_service_are_not_found(proton, world):
    with pytest.raises(ClientError) as e:
        proton.list_service_instances(serviceName="ghost")
    assert error_of(e)[:1] == ("ResourceNotFoundException",)
