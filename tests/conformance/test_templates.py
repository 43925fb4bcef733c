"""Environment and service templates, idempotency, pagination and tags, through boto3."""

import pytest
from botocore.exceptions import ClientError

from conftest import REGION, error_of

ACCOUNT = "123456789012"


def test_create_environment_template_returns_the_template(proton):
    t = proton.create_environment_template(
        name="vpc", displayName="VPC", description="A VPC", tags=[{"key": "team", "value": "a"}]
    )["environmentTemplate"]
    assert t["arn"] == f"arn:aws:proton:{REGION}:{ACCOUNT}:environment-template/vpc"
    assert (t["name"], t["displayName"], t["description"]) == ("vpc", "VPC", "A VPC")
    assert t["createdAt"] == t["lastModifiedAt"]
    assert "recommendedVersion" not in t


def test_get_returns_what_create_returned(proton):
    created = proton.create_environment_template(name="vpc")["environmentTemplate"]
    assert proton.get_environment_template(name="vpc")["environmentTemplate"] == created


def test_a_missing_template_is_not_found(proton):
    with pytest.raises(ClientError) as e:
        proton.get_environment_template(name="nope")
    assert error_of(e) == ("ResourceNotFoundException",
                           "The environment template nope was not found.", 404)


def test_a_retried_create_with_the_same_parameters_returns_the_original(proton):
    first = proton.create_environment_template(name="vpc", description="d")["environmentTemplate"]
    again = proton.create_environment_template(name="vpc", description="d")["environmentTemplate"]
    assert again == first


def test_a_create_with_other_parameters_is_an_idempotent_parameter_mismatch(proton):
    proton.create_environment_template(name="vpc", description="d")
    with pytest.raises(ClientError) as e:
        proton.create_environment_template(name="vpc", description="other")
    code, message, status = error_of(e)
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("IdempotentParameterMismatch")


def test_a_retried_create_after_a_modification_is_a_conflict(proton):
    proton.create_environment_template(name="vpc", description="d")
    proton.update_environment_template(name="vpc", displayName="Changed")
    with pytest.raises(ClientError) as e:
        proton.create_environment_template(name="vpc", description="d")
    assert error_of(e)[0] == "ConflictException"


def test_update_changes_only_the_given_fields(proton):
    proton.create_environment_template(name="vpc", displayName="VPC", description="d")
    t = proton.update_environment_template(name="vpc", description="new")["environmentTemplate"]
    assert (t["displayName"], t["description"]) == ("VPC", "new")
    assert t["lastModifiedAt"] >= t["createdAt"]


def test_delete_returns_the_template_and_a_retry_returns_nothing(proton):
    created = proton.create_environment_template(name="vpc")["environmentTemplate"]
    assert proton.delete_environment_template(name="vpc")["environmentTemplate"] == created
    assert "environmentTemplate" not in proton.delete_environment_template(name="vpc")
    with pytest.raises(ClientError):
        proton.get_environment_template(name="vpc")


def test_a_name_can_be_reused_after_delete(proton):
    proton.create_environment_template(name="vpc", description="first")
    proton.delete_environment_template(name="vpc")
    t = proton.create_environment_template(name="vpc", description="second")["environmentTemplate"]
    assert t["description"] == "second"


def test_list_pages_over_250_templates_in_name_order(proton):
    names = [f"tpl-{i:03d}" for i in range(250)]
    for n in names:
        proton.create_environment_template(name=n)
    pages = list(proton.get_paginator("list_environment_templates").paginate(
        PaginationConfig={"PageSize": 100}))
    assert [len(p["templates"]) for p in pages] == [100, 100, 50]
    assert [t["name"] for p in pages for t in p["templates"]] == names


def test_a_tampered_next_token_is_a_validation_error(proton):
    for i in range(3):
        proton.create_environment_template(name=f"t{i}")
    token = proton.list_environment_templates(maxResults=1)["nextToken"]
    with pytest.raises(ClientError) as e:
        proton.list_environment_templates(nextToken=token[:-1] + ("0" if token[-1] != "0" else "1"))
    assert error_of(e)[0] == "ValidationException"


def test_service_templates_have_their_own_namespace_and_pipeline_provisioning(proton):
    proton.create_environment_template(name="same")
    s = proton.create_service_template(name="same", pipelineProvisioning="CUSTOMER_MANAGED")[
        "serviceTemplate"]
    assert s["arn"] == f"arn:aws:proton:{REGION}:{ACCOUNT}:service-template/same"
    assert s["pipelineProvisioning"] == "CUSTOMER_MANAGED"
    assert [t["name"] for t in proton.list_service_templates()["templates"]] == ["same"]


def test_tags_given_at_create_are_listed(proton):
    arn = proton.create_service_template(
        name="svc", tags=[{"key": "b", "value": "2"}, {"key": "a", "value": "1"}])["serviceTemplate"]["arn"]
    assert proton.list_tags_for_resource(resourceArn=arn)["tags"] == [
        {"key": "a", "value": "1"}, {"key": "b", "value": "2"}]


def test_tag_and_untag_resource(proton):
    arn = proton.create_environment_template(name="vpc")["environmentTemplate"]["arn"]
    proton.tag_resource(resourceArn=arn, tags=[{"key": "team", "value": "a"}, {"key": "cost", "value": "x"}])
    proton.tag_resource(resourceArn=arn, tags=[{"key": "team", "value": "b"}])
    proton.untag_resource(resourceArn=arn, tagKeys=["cost"])
    assert proton.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "team", "value": "b"}]


def test_tagging_a_missing_resource_is_not_found(proton):
    arn = f"arn:aws:proton:{REGION}:{ACCOUNT}:environment-template/ghost"
    with pytest.raises(ClientError) as e:
        proton.tag_resource(resourceArn=arn, tags=[{"key": "k", "value": "v"}])
    assert error_of(e)[2] == 404


def test_tags_go_away_with_their_resource(proton):
    arn = proton.create_environment_template(name="vpc", tags=[{"key": "k", "value": "v"}])[
        "environmentTemplate"]["arn"]
    proton.delete_environment_template(name="vpc")
    proton.create_environment_template(name="vpc")
    assert proton.list_tags_for_resource(resourceArn=arn)["tags"] == []


def test_a_non_ascii_next_token_is_a_validation_error_not_a_crash(proton):
    # ListTagsForResource's nextToken has no pattern in the model, so any text reaches the engine.
    arn = proton.create_environment_template(name="vpc")["environmentTemplate"]["arn"]
    with pytest.raises(ClientError) as e:
        proton.list_tags_for_resource(resourceArn=arn, nextToken="é" * 30)
    assert error_of(e)[0] == "ValidationException"
    assert proton.list_tags_for_resource(resourceArn=arn)["tags"] == []
