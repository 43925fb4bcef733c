"""Account settings, repositories and the resources summary — through boto3."""

import pytest
from botocore.exceptions import ClientError

from conftest import REGION, error_of
from test_environments import REPO, SPEC, create_env, notify, publish

ACCOUNT = "123456789012"
CONNECTION = f"arn:aws:codestar-connections:{REGION}:{ACCOUNT}:connection/0b1c2d3e-aaaa-bbbb-cccc-123456789012"


def test_account_settings_start_empty(proton):
    assert proton.get_account_settings()["accountSettings"] == {}


def test_account_settings_are_updated_and_cleared(proton):
    role = f"arn:aws:iam::{ACCOUNT}:role/pipeline"
    s = proton.update_account_settings(pipelineServiceRoleArn=role, pipelineProvisioningRepository=REPO)[
        "accountSettings"]
    assert s["pipelineServiceRoleArn"] == role
    assert s["pipelineProvisioningRepository"]["arn"] == f"arn:aws:proton:{REGION}:{ACCOUNT}:repository/github:acme/infra"
    cleared = proton.update_account_settings(pipelineServiceRoleArn="", deletePipelineProvisioningRepository=True)[
        "accountSettings"]
    assert cleared == {}
    assert proton.get_account_settings()["accountSettings"] == {}


def test_a_repository_is_linked_listed_and_deleted(proton):
    r = proton.create_repository(provider="GITHUB", name="acme/infra", connectionArn=CONNECTION)["repository"]
    assert r == {"arn": f"arn:aws:proton:{REGION}:{ACCOUNT}:repository/github:acme/infra",
                 "connectionArn": CONNECTION, "name": "acme/infra", "provider": "GITHUB"}
    assert proton.get_repository(provider="GITHUB", name="acme/infra")["repository"] == r
    assert [x["name"] for x in proton.list_repositories()["repositories"]] == ["acme/infra"]
    assert proton.delete_repository(provider="GITHUB", name="acme/infra")["repository"] == r
    assert "repository" not in proton.delete_repository(provider="GITHUB", name="acme/infra")


def test_linking_a_repository_twice_is_a_conflict(proton):
    proton.create_repository(provider="GITHUB", name="acme/infra", connectionArn=CONNECTION)
    with pytest.raises(ClientError) as e:
        proton.create_repository(provider="GITHUB", name="acme/infra", connectionArn=CONNECTION)
    assert error_of(e)[0] == "ConflictException"


def test_a_missing_repository_is_not_found(proton):
    with pytest.raises(ClientError) as e:
        proton.get_repository(provider="BITBUCKET", name="acme/none")
    assert error_of(e)[:1] == ("ResourceNotFoundException",)


def test_the_summary_counts_environments_by_health_and_version(server, proton):
    proton.create_environment_template(name="queue-env", provisioning="CUSTOMER_MANAGED")
    proton.create_service_template(name="svc")
    publish(proton, server, "queue-env")
    ok = create_env(proton, name="ok")
    notify(proton, ok)
    bad = create_env(proton, name="bad")
    notify(proton, bad, status="FAILED", statusMessage="boom")
    publish(proton, server, "queue-env", major="1")  # 1.1 is now recommended; both are behind
    counts = proton.get_resources_summary()["counts"]
    assert counts["environmentTemplates"] == {"total": 1}
    assert counts["serviceTemplates"] == {"total": 1}
    assert counts["environments"] == {"total": 2, "failed": 1, "upToDate": 0, "behindMinor": 2, "behindMajor": 0}
