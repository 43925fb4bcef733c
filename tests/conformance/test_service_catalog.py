"""AWS Service Catalog on the same engine as Proton, through botocore on both of its wire
protocols: awsJson 1.1 (what botocore 1.44.5 resolves servicecatalog to: the model lists
['smithy-rpc-v2-cbor', 'json'] and botocore ranks 'json' first) and Smithy RPC v2 CBOR (forced by
giving botocore a copy of its own model whose metadata lists only 'smithy-rpc-v2-cbor', so
botocore's own CBOR serializer and parser speak it). Every test runs on SQLite and PostgreSQL, over both
protocols. Products hold CloudFormation templates read from the engine's artifact store;
provisioned products become stacks on moto's CloudFormation."""

import datetime
import json
import time
import urllib.error
import urllib.request

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.loaders
import botocore.parsers
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ACCOUNT, MOTO_ENV, REGION, Server, error_of

PROTOCOLS = ["cbor", "json"]
BOTOCORE_PROTOCOL = {"cbor": "smithy-rpc-v2-cbor", "json": "json"}

QUEUE_TEMPLATE = {
    "Parameters": {
        "QueueName": {"Type": "String", "Description": "The queue's name", "MaxLength": 80},
        "Stage": {"Type": "String", "Default": "dev", "AllowedValues": ["dev", "prod"]},
    },
    "Resources": {
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Ref": "QueueName"}}},
        "StageParameter": {"Type": "AWS::SSM::Parameter", "Properties": {
            "Name": {"Fn::Join": ["", ["/sc/", {"Ref": "QueueName"}, "/stage"]]},
            "Type": "String", "Value": {"Ref": "Stage"}}},
    },
    "Outputs": {
        "QueueUrl": {"Value": {"Ref": "Queue"}, "Description": "Where to send"},
        "StageParameterName": {"Value": {"Ref": "StageParameter"}},
    },
}

# Version 2 adds a bucket and an output naming it.
BUCKET_TEMPLATE = json.loads(json.dumps(QUEUE_TEMPLATE))
BUCKET_TEMPLATE["Resources"]["Bucket"] = {
    "Type": "AWS::S3::Bucket",
    "Properties": {"BucketName": {"Fn::Join": ["-", [{"Ref": "QueueName"}, "bucket"]]}}}
BUCKET_TEMPLATE["Outputs"]["BucketName"] = {"Value": {"Ref": "Bucket"}}

NOT_CONFIGURED = ("No CloudFormation provisioner is configured in this Baryon engine (start it with "
                  "--cloudformation-endpoint), so the stack was not changed.")


# ---- clients ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def cbor_model_dir(tmp_path_factory):
    """botocore's own servicecatalog model with metadata saying rpc-v2-cbor only, as a data
    path that shadows the packaged model."""
    model = botocore.loaders.create_loader().load_service_model("servicecatalog", "service-2")
    model["metadata"]["protocol"] = "smithy-rpc-v2-cbor"
    model["metadata"]["protocols"] = ["smithy-rpc-v2-cbor"]
    root = tmp_path_factory.mktemp("botocore-data")
    target = root / "servicecatalog" / model["metadata"]["apiVersion"]
    target.mkdir(parents=True)
    (target / "service-2.json").write_text(json.dumps(model))
    return root


def catalog_client(server, protocol, cbor_model_dir):
    session = botocore.session.get_session()
    if protocol == "cbor":
        session.get_component("data_loader").search_paths.insert(0, str(cbor_model_dir))
    keys = server.profiles["default"]
    client = session.create_client(
        "servicecatalog", endpoint_url=server.url, region_name=REGION,
        aws_access_key_id=keys["aws_access_key_id"], aws_secret_access_key=keys["aws_secret_access_key"],
        # The engine validates against the model itself; the client's own checks are off so
        # that what reaches the engine is what the test sends.
        config=Config(retries={"max_attempts": 1}, parameter_validation=False))
    assert client.meta.service_model.resolved_protocol == BOTOCORE_PROTOCOL[protocol]
    return client


@pytest.fixture(params=PROTOCOLS)
def sc(request, server, cbor_model_dir):
    return catalog_client(server, request.param, cbor_model_dir)


# ---- helpers ---------------------------------------------------------------------------

def put_template(server, key, template, bucket="templates"):
    """Stores a template in the engine's artifact store; returns its S3 URL."""
    path = server.data_dir / "buckets" / bucket / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(template if isinstance(template, str) else json.dumps(template))
    return f"https://{bucket}.s3.amazonaws.com/{key}"


def artifact_params(url, name="v1", description="first version"):
    return {"Name": name, "Description": description, "Info": {"LoadTemplateFromURL": url},
            "Type": "CLOUD_FORMATION_TEMPLATE"}


def create_product(sc, server, name="queue", token="product-1", template=QUEUE_TEMPLATE, **kw):
    url = put_template(server, f"{name}/v1.json", template)
    return sc.create_product(Name=name, Owner="platform", ProductType="CLOUD_FORMATION_TEMPLATE",
                             IdempotencyToken=token, ProvisioningArtifactParameters=artifact_params(url), **kw)


def create_portfolio(sc, name="Shared", token="portfolio-1"):
    return sc.create_portfolio(DisplayName=name, ProviderName="Platform team", IdempotencyToken=token)


def launchable(sc, server, name="queue", template=QUEUE_TEMPLATE):
    """A product in a portfolio: (product id, artifact id, portfolio id)."""
    p = create_product(sc, server, name=name, token=f"{name}-token", template=template)
    port = create_portfolio(sc, token=f"{name}-portfolio")["PortfolioDetail"]["Id"]
    product_id = p["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
    sc.associate_product_with_portfolio(ProductId=product_id, PortfolioId=port)
    return product_id, p["ProvisioningArtifactDetail"]["Id"], port


def wait_record(sc, record_id, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        r = sc.describe_record(Id=record_id)
        if r["RecordDetail"]["Status"] in ("SUCCEEDED", "FAILED"):
            return r
        assert time.monotonic() < deadline, f"record {record_id} still {r['RecordDetail']['Status']}"
        time.sleep(0.2)


def provision(sc, product_id, artifact_id, name="orders", token="launch-1", params=None, **kw):
    params = [{"Key": "QueueName", "Value": name}] if params is None else params
    return sc.provision_product(ProductId=product_id, ProvisioningArtifactId=artifact_id,
                                ProvisionedProductName=name, ProvisioningParameters=params,
                                ProvisionToken=token, **kw)["RecordDetail"]


def is_time(value):
    return isinstance(value, datetime.datetime) and value.tzinfo is not None


# ---- protocol --------------------------------------------------------------------------

def test_both_protocols_answer_with_their_content_type(sc):
    r = sc.list_portfolios()
    headers = r["ResponseMetadata"]["HTTPHeaders"]
    if sc.meta.service_model.resolved_protocol == "smithy-rpc-v2-cbor":
        assert headers["content-type"] == "application/cbor"
        assert headers["smithy-protocol"] == "rpc-v2-cbor"
    else:
        assert headers["content-type"] == "application/x-amz-json-1.1"
    assert r["PortfolioDetails"] == []


def signed_post(server, path, body=b"", headers=None, service="servicecatalog"):
    """A raw request signed with botocore's SigV4 signer: (status, headers, body bytes)."""
    request = botocore.awsrequest.AWSRequest(method="POST", url=server.url + path, data=body,
                                             headers=dict(headers or {}))
    creds = botocore.credentials.Credentials(server.access_key, server.secret_key)
    botocore.auth.SigV4Auth(creds, service, REGION).add_auth(request)
    prepared = request.prepare()
    try:
        with urllib.request.urlopen(urllib.request.Request(prepared.url, data=prepared.body,
                                                           headers=dict(prepared.headers), method="POST")) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def decode_cbor(data):
    """CBOR bytes through botocore's own rpc-v2-cbor decoder."""
    return botocore.parsers.RpcV2CBORParser()._initial_body_parse(data)


def test_a_cbor_request_without_the_smithy_protocol_header_is_refused_in_cbor(server):
    status, headers, body = signed_post(server, "/service/AWS242ServiceCatalogService/operation/ListPortfolios")
    assert (status, headers["content-type"], headers["smithy-protocol"]) == (400, "application/cbor", "rpc-v2-cbor")
    assert decode_cbor(body) == {"__type": "com.amazonaws.servicecatalog#SerializationException",
                                 "message": "The smithy-protocol header must be rpc-v2-cbor, got ''"}


def test_an_unknown_cbor_operation_is_refused_in_cbor(server):
    status, headers, body = signed_post(server, "/service/AWS242ServiceCatalogService/operation/ListWidgets",
                                        headers={"smithy-protocol": "rpc-v2-cbor"})
    assert (status, headers["content-type"]) == (400, "application/cbor")
    assert decode_cbor(body) == {"__type": "com.amazonaws.servicecatalog#UnknownOperationException",
                                 "message": "Unknown operation AWS242ServiceCatalogService.ListWidgets"}


def test_an_empty_cbor_body_is_an_empty_request(server):
    status, headers, body = signed_post(server, "/service/AWS242ServiceCatalogService/operation/ListPortfolios",
                                        headers={"smithy-protocol": "rpc-v2-cbor"})
    assert (status, headers["content-type"], headers["smithy-protocol"]) == (200, "application/cbor", "rpc-v2-cbor")
    assert decode_cbor(body) == {"PortfolioDetails": []}


def test_a_request_signed_for_proton_is_refused(server):
    status, _, body = signed_post(server, "/", b"{}", service="proton", headers={
        "X-Amz-Target": "AWS242ServiceCatalogService.ListPortfolios",
        "Content-Type": "application/x-amz-json-1.1"})
    assert status == 403
    assert json.loads(body)["__type"] == "InvalidSignatureException"


def test_the_consoles_signing_proxy_reaches_service_catalog(server):
    def call(operation, body):
        request = urllib.request.Request(
            f"{server.url}/api/servicecatalog/{operation}", data=json.dumps(body).encode(), method="POST",
            headers={"content-type": "application/json", "x-baryon-csrf": "1"})
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                return r.status, r.headers["content-type"], json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, e.headers["content-type"], json.loads(e.read())

    status, content_type, body = call("CreatePortfolio", {
        "DisplayName": "Shared", "ProviderName": "Platform team", "IdempotencyToken": "console"})
    assert (status, content_type) == (200, "application/x-amz-json-1.1")
    port = body["PortfolioDetail"]["Id"]
    assert call("ListPortfolios", {})[2]["PortfolioDetails"][0]["Id"] == port
    assert call("DescribePortfolio", {"Id": "port-nope"}) == (
        400, "application/x-amz-json-1.1",
        {"__type": "ResourceNotFoundException", "message": "Portfolio port-nope not found."})


def test_an_operation_not_served_yet_is_not_implemented(sc):
    with pytest.raises(ClientError) as e:
        sc.list_tag_options()
    assert error_of(e) == (
        "NotImplementedException",
        "ListTagOptions is an operation of AWS Service Catalog that this Baryon engine does not serve yet.",
        501)


def test_a_request_breaking_the_models_constraints_is_invalid_parameters(sc):
    with pytest.raises(ClientError) as e:
        sc.create_portfolio(DisplayName="x" * 101, ProviderName="p", IdempotencyToken="t")
    code, message, status = error_of(e)
    assert (code, status) == ("InvalidParametersException", 400)
    assert "failed to satisfy constraint: Member must have length less than or equal to 100" in message


def test_a_missing_required_member_is_invalid_parameters(sc):
    with pytest.raises(ClientError) as e:
        sc.describe_product_view()
    assert error_of(e) == (
        "InvalidParametersException",
        "1 validation error detected: Value null at 'Id' failed to satisfy constraint: Member must not be null",
        400)


# ---- products and artifacts --------------------------------------------------------------

def test_create_product_returns_the_product_its_first_artifact_and_tags(sc, server):
    r = create_product(sc, server, Description="Queues", Distributor="Ops", SupportEmail="ops@example.com",
                       Tags=[{"Key": "team", "Value": "platform"}])
    detail = r["ProductViewDetail"]
    product_id = detail["ProductViewSummary"]["ProductId"]
    assert product_id.startswith("prod-")
    assert detail["ProductViewSummary"] == {
        "Id": "prodview-" + product_id[len("prod-"):], "ProductId": product_id, "Name": "queue",
        "Owner": "platform", "ShortDescription": "Queues", "Type": "CLOUD_FORMATION_TEMPLATE",
        "Distributor": "Ops", "HasDefaultPath": False, "SupportEmail": "ops@example.com"}
    assert detail["Status"] == "AVAILABLE"
    assert detail["ProductARN"] == f"arn:aws:catalog:{REGION}:{ACCOUNT}:product/{product_id}"
    assert is_time(detail["CreatedTime"])
    artifact = r["ProvisioningArtifactDetail"]
    assert artifact["Id"].startswith("pa-")
    assert {k: artifact[k] for k in ("Name", "Description", "Type", "Active", "Guidance")} == {
        "Name": "v1", "Description": "first version", "Type": "CLOUD_FORMATION_TEMPLATE", "Active": True,
        "Guidance": "DEFAULT"}
    assert is_time(artifact["CreatedTime"])
    assert r["Tags"] == [{"Key": "team", "Value": "platform"}]


def test_create_product_with_the_same_token_returns_the_same_product(sc, server):
    first = create_product(sc, server)
    again = create_product(sc, server)
    assert again["ProductViewDetail"] == first["ProductViewDetail"]
    assert again["ProvisioningArtifactDetail"] == first["ProvisioningArtifactDetail"]
    assert len(sc.search_products_as_admin()["ProductViewDetails"]) == 1


def test_a_token_reused_with_other_parameters_is_invalid_parameters(sc, server):
    create_product(sc, server)
    with pytest.raises(ClientError) as e:
        create_product(sc, server, name="other")
    assert error_of(e) == ("InvalidParametersException",
                           "The idempotency token product-1 was already used with different parameters.", 400)


def test_a_template_missing_from_the_artifact_store_is_invalid_parameters(sc):
    with pytest.raises(ClientError) as e:
        sc.create_product(Name="q", Owner="o", ProductType="CLOUD_FORMATION_TEMPLATE", IdempotencyToken="t",
                          ProvisioningArtifactParameters=artifact_params("https://templates.s3.amazonaws.com/none.json"))
    assert error_of(e) == ("InvalidParametersException",
                           "The template at https://templates.s3.amazonaws.com/none.json was not found.", 400)


def test_a_template_url_outside_the_artifact_store_is_invalid_parameters(sc):
    with pytest.raises(ClientError) as e:
        sc.create_product(Name="q", Owner="o", ProductType="CLOUD_FORMATION_TEMPLATE", IdempotencyToken="t",
                          ProvisioningArtifactParameters=artifact_params("http://127.0.0.1:1/template.json"))
    assert error_of(e) == (
        "InvalidParametersException",
        "LoadTemplateFromURL 'http://127.0.0.1:1/template.json' is not an S3 URL of this engine's artifact store "
        "(s3://bucket/key or https://bucket.s3.amazonaws.com/key).", 400)


def test_a_template_that_is_not_cloudformation_is_invalid_parameters(sc, server):
    url = put_template(server, "bad.json", {"Parameters": {}})
    with pytest.raises(ClientError) as e:
        sc.create_product(Name="q", Owner="o", ProductType="CLOUD_FORMATION_TEMPLATE", IdempotencyToken="t",
                          ProvisioningArtifactParameters=artifact_params(url))
    assert error_of(e) == ("InvalidParametersException",
                           f"The template at {url} is not valid: it has no Resources section", 400)


def test_a_product_type_other_than_cloudformation_is_invalid_parameters(sc):
    with pytest.raises(ClientError) as e:
        sc.create_product(Name="q", Owner="o", ProductType="TERRAFORM_OPEN_SOURCE", IdempotencyToken="t")
    assert error_of(e) == (
        "InvalidParametersException",
        "Product type TERRAFORM_OPEN_SOURCE is not supported by this engine; it provisions "
        "CLOUD_FORMATION_TEMPLATE products.", 400)


def test_describe_product_as_admin_shows_artifacts_with_their_info_and_tags(sc, server):
    r = create_product(sc, server, Tags=[{"Key": "k", "Value": "v"}])
    product_id = r["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
    admin = sc.describe_product_as_admin(Id=product_id)
    assert admin["ProductViewDetail"] == r["ProductViewDetail"]
    [summary] = admin["ProvisioningArtifactSummaries"]
    assert summary["Id"] == r["ProvisioningArtifactDetail"]["Id"]
    assert summary["ProvisioningArtifactMetadata"] == {
        "LoadTemplateFromURL": "https://templates.s3.amazonaws.com/queue/v1.json"}
    assert admin["Tags"] == [{"Key": "k", "Value": "v"}]
    assert admin["TagOptions"] == [] and admin["Budgets"] == []
    assert sc.describe_product_as_admin(Name="queue")["ProductViewDetail"] == r["ProductViewDetail"]


def test_an_unknown_product_is_resource_not_found_with_status_400(sc):
    with pytest.raises(ClientError) as e:
        sc.describe_product_as_admin(Id="prod-doesnotexist")
    assert error_of(e) == ("ResourceNotFoundException", "Product prod-doesnotexist not found.", 400)


def test_end_users_see_a_product_only_through_a_launch_path(sc, server):
    r = create_product(sc, server)
    product_id = r["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
    with pytest.raises(ClientError) as e:
        sc.describe_product(Id=product_id)
    assert error_of(e) == ("ResourceNotFoundException", f"Product {product_id} not found.", 400)
    assert sc.search_products()["ProductViewSummaries"] == []


def test_describe_product_and_its_view_show_active_artifacts_and_launch_paths(sc, server):
    product_id, artifact_id, port = launchable(sc, server)
    product = sc.describe_product(Id=product_id)
    assert product["ProductViewSummary"]["ProductId"] == product_id
    assert [(a["Id"], a["Name"], a["Guidance"]) for a in product["ProvisioningArtifacts"]] == [
        (artifact_id, "v1", "DEFAULT")]
    assert product["LaunchPaths"] == [{"Id": port, "Name": "Shared"}]
    view_id = product["ProductViewSummary"]["Id"]
    view = sc.describe_product_view(Id=view_id)
    assert view["ProductViewSummary"] == product["ProductViewSummary"]
    assert view["ProvisioningArtifacts"] == product["ProvisioningArtifacts"]
    assert sc.describe_product(Name="queue")["ProductViewSummary"]["ProductId"] == product_id


def test_update_product_changes_its_fields_and_tags(sc, server):
    r = create_product(sc, server, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    product_id = r["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
    u = sc.update_product(Id=product_id, Name="queues", Description="SQS queues",
                          AddTags=[{"Key": "c", "Value": "3"}], RemoveTags=["a"])
    assert u["ProductViewDetail"]["ProductViewSummary"]["Name"] == "queues"
    assert u["ProductViewDetail"]["ProductViewSummary"]["ShortDescription"] == "SQS queues"
    assert u["ProductViewDetail"]["ProductViewSummary"]["Owner"] == "platform"
    assert u["Tags"] == [{"Key": "b", "Value": "2"}, {"Key": "c", "Value": "3"}]
    assert sc.describe_product_as_admin(Id=product_id)["ProductViewDetail"] == u["ProductViewDetail"]


def test_search_products_as_admin_filters_and_pages(sc, server):
    ids = [create_product(sc, server, name=f"p{i}", token=f"t{i}")["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
           for i in range(3)]
    first = sc.search_products_as_admin(PageSize=2)
    assert [d["ProductViewSummary"]["ProductId"] for d in first["ProductViewDetails"]] == ids[:2]
    second = sc.search_products_as_admin(PageSize=2, PageToken=first["NextPageToken"])
    assert [d["ProductViewSummary"]["ProductId"] for d in second["ProductViewDetails"]] == ids[2:]
    assert "NextPageToken" not in second
    found = sc.search_products_as_admin(Filters={"FullTextSearch": ["P1"]})
    assert [d["ProductViewSummary"]["ProductId"] for d in found["ProductViewDetails"]] == [ids[1]]
    port = create_portfolio(sc)["PortfolioDetail"]["Id"]
    sc.associate_product_with_portfolio(ProductId=ids[2], PortfolioId=port)
    in_port = sc.search_products_as_admin(PortfolioId=port)
    assert [d["ProductViewSummary"]["ProductId"] for d in in_port["ProductViewDetails"]] == [ids[2]]


def test_search_products_as_admin_sorts_by_title_or_version_count_either_way(sc, server):
    ids = {name: create_product(sc, server, name=name, token=name)["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
           for name in ("beta", "Alpha", "gamma")}
    url = put_template(server, "gamma/v2.json", BUCKET_TEMPLATE)
    sc.create_provisioning_artifact(ProductId=ids["gamma"], IdempotencyToken="g2", Parameters=artifact_params(url, "v2"))

    def names(r):
        return [d["ProductViewSummary"]["Name"] for d in r["ProductViewDetails"]]

    assert names(sc.search_products_as_admin(SortBy="Title")) == ["Alpha", "beta", "gamma"]
    first = sc.search_products_as_admin(SortBy="Title", SortOrder="DESCENDING", PageSize=2)
    assert names(first) == ["gamma", "beta"]
    rest = sc.search_products_as_admin(SortBy="Title", SortOrder="DESCENDING", PageSize=2,
                                       PageToken=first["NextPageToken"])
    assert names(rest) == ["Alpha"] and "NextPageToken" not in rest
    assert names(sc.search_products_as_admin(SortBy="VersionCount", SortOrder="DESCENDING"))[0] == "gamma"
    assert names(sc.search_products_as_admin(SortBy="CreationDate", SortOrder="DESCENDING")) == [
        "gamma", "Alpha", "beta"]
    with pytest.raises(ClientError) as e:
        sc.search_products_as_admin(SortBy="Title", PageToken=first["NextPageToken"])
    assert error_of(e) == ("InvalidParametersException", f"The PageToken '{first['NextPageToken']}' is not valid.",
                           400)


def test_a_tampered_page_token_is_invalid_parameters(sc, server):
    for i in range(2):
        create_product(sc, server, name=f"p{i}", token=f"t{i}")
    token = sc.search_products_as_admin(PageSize=1)["NextPageToken"]
    bad = token[:-1] + ("0" if token[-1] != "0" else "1")
    with pytest.raises(ClientError) as e:
        sc.search_products_as_admin(PageSize=1, PageToken=bad)
    assert error_of(e) == ("InvalidParametersException", f"The PageToken '{bad}' is not valid.", 400)


def test_search_products_lists_the_products_in_portfolios(sc, server):
    product_id, _, _ = launchable(sc, server)
    create_product(sc, server, name="hidden", token="hidden")
    r = sc.search_products()
    assert [s["ProductId"] for s in r["ProductViewSummaries"]] == [product_id]
    assert sc.search_products(Filters={"Owner": ["nobody"]})["ProductViewSummaries"] == []


def test_a_product_in_a_portfolio_is_in_use_until_disassociated(sc, server):
    product_id, _, port = launchable(sc, server)
    with pytest.raises(ClientError) as e:
        sc.delete_product(Id=product_id)
    assert error_of(e) == ("ResourceInUseException",
                           f"Product {product_id} is associated with portfolio {port}; disassociate it first.", 400)
    sc.disassociate_product_from_portfolio(ProductId=product_id, PortfolioId=port)
    sc.delete_product(Id=product_id)
    with pytest.raises(ClientError) as e:
        sc.describe_product_as_admin(Id=product_id)
    assert error_of(e)[0] == "ResourceNotFoundException"


def test_provisioning_artifacts_are_created_described_listed_and_updated(sc, server):
    r = create_product(sc, server)
    product_id = r["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
    url = put_template(server, "queue/v2.json", BUCKET_TEMPLATE)
    created = sc.create_provisioning_artifact(ProductId=product_id, IdempotencyToken="v2",
                                              Parameters=artifact_params(url, "v2", "with a bucket"))
    assert created["Status"] == "AVAILABLE"
    assert created["Info"] == {"LoadTemplateFromURL": url}
    v2 = created["ProvisioningArtifactDetail"]
    again = sc.create_provisioning_artifact(ProductId=product_id, IdempotencyToken="v2",
                                            Parameters=artifact_params(url, "v2", "with a bucket"))
    assert again["ProvisioningArtifactDetail"] == v2
    listed = sc.list_provisioning_artifacts(ProductId=product_id)["ProvisioningArtifactDetails"]
    assert [a["Name"] for a in listed] == ["v1", "v2"]
    described = sc.describe_provisioning_artifact(ProductId=product_id, ProvisioningArtifactId=v2["Id"],
                                                  IncludeProvisioningArtifactParameters=True)
    assert described["ProvisioningArtifactDetail"] == v2
    assert [p["ParameterKey"] for p in described["ProvisioningArtifactParameters"]] == ["QueueName", "Stage"]
    by_name = sc.describe_provisioning_artifact(ProductName="queue", ProvisioningArtifactName="v2")
    assert by_name["ProvisioningArtifactDetail"]["Id"] == v2["Id"]
    assert "ProvisioningArtifactParameters" not in by_name
    updated = sc.update_provisioning_artifact(ProductId=product_id, ProvisioningArtifactId=v2["Id"],
                                              Description="bucket too", Guidance="DEPRECATED", Active=False)
    assert {k: updated["ProvisioningArtifactDetail"][k] for k in ("Name", "Description", "Active", "Guidance")} == {
        "Name": "v2", "Description": "bucket too", "Active": False, "Guidance": "DEPRECATED"}


def test_the_last_artifact_of_a_product_cannot_be_deleted(sc, server):
    r = create_product(sc, server)
    product_id = r["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
    v1 = r["ProvisioningArtifactDetail"]["Id"]
    with pytest.raises(ClientError) as e:
        sc.delete_provisioning_artifact(ProductId=product_id, ProvisioningArtifactId=v1)
    assert error_of(e) == ("InvalidParametersException",
                           f"Provisioning artifact {v1} is the last one of product {product_id}; a product keeps "
                           "at least one.", 400)
    url = put_template(server, "queue/v2.json", BUCKET_TEMPLATE)
    sc.create_provisioning_artifact(ProductId=product_id, IdempotencyToken="v2", Parameters=artifact_params(url, "v2"))
    sc.delete_provisioning_artifact(ProductId=product_id, ProvisioningArtifactId=v1)
    assert [a["Name"] for a in sc.list_provisioning_artifacts(ProductId=product_id)["ProvisioningArtifactDetails"]] == ["v2"]


def test_an_unknown_artifact_is_resource_not_found(sc, server):
    r = create_product(sc, server)
    product_id = r["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
    with pytest.raises(ClientError) as e:
        sc.describe_provisioning_artifact(ProductId=product_id, ProvisioningArtifactId="pa-nope")
    assert error_of(e) == ("ResourceNotFoundException", "ProvisioningArtifact pa-nope not found.", 400)


# ---- portfolios ----------------------------------------------------------------------------

def test_a_portfolio_is_created_described_listed_in_pages_and_deleted(sc):
    r = sc.create_portfolio(DisplayName="Shared", ProviderName="Platform team", Description="Everything",
                            IdempotencyToken="p1", Tags=[{"Key": "k", "Value": "v"}])
    detail = r["PortfolioDetail"]
    assert detail["Id"].startswith("port-")
    assert detail["ARN"] == f"arn:aws:catalog:{REGION}:{ACCOUNT}:portfolio/{detail['Id']}"
    assert (detail["DisplayName"], detail["ProviderName"], detail["Description"]) == (
        "Shared", "Platform team", "Everything")
    assert is_time(detail["CreatedTime"])
    assert r["Tags"] == [{"Key": "k", "Value": "v"}]
    assert sc.create_portfolio(DisplayName="Shared", ProviderName="Platform team", Description="Everything",
                               IdempotencyToken="p1", Tags=[{"Key": "k", "Value": "v"}])["PortfolioDetail"] == detail
    described = sc.describe_portfolio(Id=detail["Id"], AcceptLanguage="jp")
    assert described["PortfolioDetail"] == detail and described["Tags"] == r["Tags"]
    second = create_portfolio(sc, "Other", token="p2")["PortfolioDetail"]
    page = sc.list_portfolios(PageSize=1)
    assert page["PortfolioDetails"] == [detail]
    assert sc.list_portfolios(PageSize=1, PageToken=page["NextPageToken"])["PortfolioDetails"] == [second]
    sc.delete_portfolio(Id=detail["Id"])
    assert sc.list_portfolios()["PortfolioDetails"] == [second]
    with pytest.raises(ClientError) as e:
        sc.describe_portfolio(Id=detail["Id"])
    assert error_of(e) == ("ResourceNotFoundException", f"Portfolio {detail['Id']} not found.", 400)


def test_a_portfolio_with_products_or_principals_is_in_use(sc, server):
    product_id, _, port = launchable(sc, server)
    with pytest.raises(ClientError) as e:
        sc.delete_portfolio(Id=port)
    assert error_of(e) == ("ResourceInUseException",
                           f"Portfolio {port} has products associated with it; disassociate them first.", 400)
    sc.disassociate_product_from_portfolio(ProductId=product_id, PortfolioId=port)
    sc.associate_principal_with_portfolio(PortfolioId=port, PrincipalARN=f"arn:aws:iam::{ACCOUNT}:role/dev",
                                          PrincipalType="IAM")
    with pytest.raises(ClientError) as e:
        sc.delete_portfolio(Id=port)
    assert error_of(e) == ("ResourceInUseException", f"Portfolio {port} has principals associated with it.", 400)


def test_associations_need_existing_resources(sc, server):
    r = create_product(sc, server)
    product_id = r["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
    with pytest.raises(ClientError) as e:
        sc.associate_product_with_portfolio(ProductId=product_id, PortfolioId="port-nope")
    assert error_of(e) == ("ResourceNotFoundException", "Portfolio port-nope not found.", 400)
    with pytest.raises(ClientError) as e:
        sc.associate_principal_with_portfolio(PortfolioId="port-nope", PrincipalARN="arn:aws:iam::1:role/x",
                                              PrincipalType="IAM")
    assert error_of(e) == ("ResourceNotFoundException", "Portfolio port-nope not found.", 400)
    port = create_portfolio(sc)["PortfolioDetail"]["Id"]
    with pytest.raises(ClientError) as e:
        sc.disassociate_product_from_portfolio(ProductId=product_id, PortfolioId=port)
    assert error_of(e) == ("ResourceNotFoundException",
                           f"Product {product_id} is not associated with portfolio {port}.", 400)


def test_list_launch_paths_names_the_products_portfolios(sc, server):
    product_id, _, port = launchable(sc, server)
    other = create_portfolio(sc, "Other", token="other")["PortfolioDetail"]["Id"]
    sc.associate_product_with_portfolio(ProductId=product_id, PortfolioId=other)
    first = sc.list_launch_paths(ProductId=product_id, PageSize=1)
    assert first["LaunchPathSummaries"] == [{"Id": port, "ConstraintSummaries": [], "Tags": [], "Name": "Shared"}]
    rest = sc.list_launch_paths(ProductId=product_id, PageToken=first["NextPageToken"])
    assert [p["Id"] for p in rest["LaunchPathSummaries"]] == [other]
    with pytest.raises(ClientError) as e:
        sc.list_launch_paths(ProductId="prod-nope")
    assert error_of(e) == ("ResourceNotFoundException", "Product prod-nope not found.", 400)


def test_describe_provisioning_parameters_reads_the_templates_parameters_and_outputs(sc, server):
    product_id, artifact_id, port = launchable(sc, server)
    r = sc.describe_provisioning_parameters(ProductId=product_id, ProvisioningArtifactId=artifact_id, PathId=port)
    assert r["ProvisioningArtifactParameters"] == [
        {"ParameterKey": "QueueName", "ParameterType": "String", "IsNoEcho": False,
         "Description": "The queue's name", "ParameterConstraints": {"MaxLength": "80"}},
        {"ParameterKey": "Stage", "DefaultValue": "dev", "ParameterType": "String", "IsNoEcho": False,
         "ParameterConstraints": {"AllowedValues": ["dev", "prod"]}},
    ]
    assert r["ProvisioningArtifactOutputs"] == [
        {"Key": "QueueUrl", "Description": "Where to send"}, {"Key": "StageParameterName"}]
    assert r["ProvisioningArtifactOutputKeys"] == r["ProvisioningArtifactOutputs"]
    assert r["ConstraintSummaries"] == [] and r["UsageInstructions"] == [] and r["TagOptions"] == []


# ---- provisioning without CloudFormation ---------------------------------------------------

def test_without_cloudformation_a_launch_fails_naming_the_missing_provisioner(sc, server):
    product_id, artifact_id, port = launchable(sc, server)
    record = provision(sc, product_id, artifact_id)
    assert record["Status"] == "CREATED"
    assert record["RecordType"] == "PROVISION_PRODUCT"
    assert (record["ProductId"], record["ProvisioningArtifactId"], record["PathId"]) == (product_id, artifact_id, port)
    assert record["ProvisionedProductName"] == "orders"
    assert record["ProvisionedProductType"] == "CFN_STACK"
    done = wait_record(sc, record["RecordId"])
    assert done["RecordDetail"]["Status"] == "FAILED"
    assert done["RecordDetail"]["RecordErrors"] == [
        {"Code": "ProvisionerNotConfigured", "Description": NOT_CONFIGURED}]
    assert done["RecordOutputs"] == []
    pp = sc.describe_provisioned_product(Name="orders")["ProvisionedProductDetail"]
    assert (pp["Status"], pp["StatusMessage"]) == ("ERROR", NOT_CONFIGURED)
    assert pp["Id"] == record["ProvisionedProductId"]
    assert pp["Arn"] == f"arn:aws:servicecatalog:{REGION}:{ACCOUNT}:stack/orders/{pp['Id']}"
    assert pp["LastRecordId"] == record["RecordId"]
    assert "LastSuccessfulProvisioningRecordId" not in pp


def test_a_never_provisioned_product_terminates_without_cloudformation(sc, server):
    product_id, artifact_id, _ = launchable(sc, server)
    pp_id = provision(sc, product_id, artifact_id)["ProvisionedProductId"]
    wait_record(sc, sc.describe_provisioned_product(Id=pp_id)["ProvisionedProductDetail"]["LastRecordId"])
    record = sc.terminate_provisioned_product(ProvisionedProductId=pp_id, TerminateToken="end-1")["RecordDetail"]
    assert record["RecordType"] == "TERMINATE_PROVISIONED_PRODUCT"
    assert wait_record(sc, record["RecordId"])["RecordDetail"]["Status"] == "SUCCEEDED"
    with pytest.raises(ClientError) as e:
        sc.describe_provisioned_product(Id=pp_id)
    assert error_of(e) == ("ResourceNotFoundException", f"Provisioned product {pp_id} not found.", 400)
    assert sc.terminate_provisioned_product(ProvisionedProductId=pp_id, TerminateToken="end-1")[
        "RecordDetail"]["RecordId"] == record["RecordId"]


def test_a_second_provisioned_product_with_the_same_name_is_a_duplicate(sc, server):
    product_id, artifact_id, _ = launchable(sc, server)
    provision(sc, product_id, artifact_id)
    with pytest.raises(ClientError) as e:
        provision(sc, product_id, artifact_id, token="launch-2")
    assert error_of(e) == ("DuplicateResourceException", "A provisioned product named orders already exists.", 400)


def test_the_same_provision_token_returns_the_same_record(sc, server):
    product_id, artifact_id, _ = launchable(sc, server)
    first = provision(sc, product_id, artifact_id)
    again = sc.provision_product(ProductId=product_id, ProvisioningArtifactId=artifact_id,
                                 ProvisionedProductName="orders",
                                 ProvisioningParameters=[{"Key": "QueueName", "Value": "orders"}],
                                 ProvisionToken="launch-1")["RecordDetail"]
    assert again["RecordId"] == first["RecordId"]
    with pytest.raises(ClientError) as e:
        provision(sc, product_id, artifact_id, name="other")
    assert error_of(e) == ("InvalidParametersException",
                           "The idempotency token launch-1 was already used with different parameters.", 400)


def test_provisioning_parameters_are_checked_against_the_template(sc, server):
    product_id, artifact_id, _ = launchable(sc, server)
    with pytest.raises(ClientError) as e:
        provision(sc, product_id, artifact_id, params=[{"Key": "Size", "Value": "1"}])
    assert error_of(e) == ("InvalidParametersException",
                           f"Parameter Size is not a parameter of provisioning artifact {artifact_id}.", 400)
    with pytest.raises(ClientError) as e:
        provision(sc, product_id, artifact_id, params=[])
    assert error_of(e) == ("InvalidParametersException",
                           f"Parameter QueueName of provisioning artifact {artifact_id} has no default; give its value.",
                           400)


def test_stack_set_preferences_are_refused_for_a_stack_product(sc, server):
    product_id, artifact_id, _ = launchable(sc, server)
    with pytest.raises(ClientError) as e:
        provision(sc, product_id, artifact_id, ProvisioningPreferences={"StackSetRegions": ["eu-west-1"]})
    assert error_of(e) == (
        "InvalidParametersException",
        "ProvisioningPreferences apply to CFN_STACKSET products only; this product provisions a CloudFormation stack.",
        400)


def test_a_product_without_a_launch_path_cannot_be_provisioned(sc, server):
    r = create_product(sc, server)
    product_id = r["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
    with pytest.raises(ClientError) as e:
        provision(sc, product_id, r["ProvisioningArtifactDetail"]["Id"])
    assert error_of(e) == ("ResourceNotFoundException", f"Product {product_id} not found.", 400)


def test_a_provisioned_product_under_change_refuses_updates_and_termination(sc, server):
    product_id, artifact_id, _ = launchable(sc, server)
    record = provision(sc, product_id, artifact_id)
    wait_record(sc, record["RecordId"])
    # A change in progress, as another record would leave it.
    server.sql("UPDATE resources SET doc = replace(doc, '\"Status\":\"ERROR\"', '\"Status\":\"UNDER_CHANGE\"') "
               "WHERE kind = 'sc_provisioned_product'")
    pp_id = record["ProvisionedProductId"]
    message = (f"Provisioned product {pp_id} is UNDER_CHANGE; wait for its record {record['RecordId']} to finish.")
    with pytest.raises(ClientError) as e:
        sc.update_provisioned_product(ProvisionedProductId=pp_id, UpdateToken="u1")
    assert error_of(e) == ("InvalidStateException", message, 400)
    with pytest.raises(ClientError) as e:
        sc.terminate_provisioned_product(ProvisionedProductName="orders", TerminateToken="t1")
    assert error_of(e) == ("InvalidStateException", message, 400)


def test_a_record_left_in_progress_by_a_crash_is_finished_at_start_up(sc, server, cbor_model_dir):
    product_id, artifact_id, _ = launchable(sc, server)
    record = provision(sc, product_id, artifact_id)
    wait_record(sc, record["RecordId"])
    server.stop()
    # What a crash between accepting the request and running its job leaves behind.
    server.sql("UPDATE resources SET status = 'IN_PROGRESS', doc = replace(doc, '\"Status\":\"FAILED\"', "
               "'\"Status\":\"IN_PROGRESS\"') WHERE kind = 'sc_record'")
    server.sql("DELETE FROM jobs")
    again = Server(server.data_dir, server.database)
    try:
        protocol = "cbor" if sc.meta.service_model.resolved_protocol == "smithy-rpc-v2-cbor" else "json"
        client = catalog_client(again, protocol, cbor_model_dir)
        assert client.describe_record(Id=record["RecordId"])["RecordDetail"]["Status"] in ("IN_PROGRESS", "FAILED")
        done = wait_record(client, record["RecordId"])
        assert done["RecordDetail"]["Status"] == "FAILED"
        assert done["RecordDetail"]["RecordErrors"] == [
            {"Code": "ProvisionerNotConfigured", "Description": NOT_CONFIGURED}]
    finally:
        again.stop()


def test_records_and_provisioned_products_are_listed_scanned_and_searched_in_pages(sc, server):
    product_id, artifact_id, _ = launchable(sc, server)
    records = [provision(sc, product_id, artifact_id, name=n, token=f"t-{n}") for n in ("alpha", "beta", "gamma")]
    for r in records:
        wait_record(sc, r["RecordId"])
    history = sc.list_record_history(PageSize=2)
    assert [r["RecordId"] for r in history["RecordDetails"]] == [r["RecordId"] for r in records[:2]]
    rest = sc.list_record_history(PageSize=2, PageToken=history["NextPageToken"])
    assert [r["RecordId"] for r in rest["RecordDetails"]] == [records[2]["RecordId"]]
    by_pp = sc.list_record_history(SearchFilter={"Key": "provisionedproduct",
                                                 "Value": records[1]["ProvisionedProductId"]})
    assert [r["RecordId"] for r in by_pp["RecordDetails"]] == [records[1]["RecordId"]]
    scan = sc.scan_provisioned_products(PageSize=2, AccessLevelFilter={"Key": "Account", "Value": "self"})
    assert [p["Name"] for p in scan["ProvisionedProducts"]] == ["alpha", "beta"]
    assert [p["Name"] for p in sc.scan_provisioned_products(PageToken=scan["NextPageToken"])["ProvisionedProducts"]] == [
        "gamma"]
    found = sc.search_provisioned_products(Filters={"SearchQuery": ["name:beta"]})
    assert found["TotalResultsCount"] == 1
    [beta] = found["ProvisionedProducts"]
    assert (beta["Name"], beta["ProductId"], beta["ProductName"], beta["Status"]) == ("beta", product_id, "queue", "ERROR")
    page = sc.search_provisioned_products(Filters={"SearchQuery": ["status:ERROR"]}, PageSize=1)
    assert page["TotalResultsCount"] == 3 and len(page["ProvisionedProducts"]) == 1 and "NextPageToken" in page
    newest_first = sc.search_provisioned_products(SortBy="name", SortOrder="DESCENDING", PageSize=2)
    assert [p["Name"] for p in newest_first["ProvisionedProducts"]] == ["gamma", "beta"]
    assert [p["Name"] for p in sc.search_provisioned_products(
        SortBy="name", SortOrder="DESCENDING", PageToken=newest_first["NextPageToken"])["ProvisionedProducts"]] == [
        "alpha"]
    with pytest.raises(ClientError) as e:
        sc.search_provisioned_products(SortBy="colour")
    assert error_of(e) == ("InvalidParametersException", "SortBy 'colour' is not one of arn, id, name, lastRecordId.",
                           400)
    with pytest.raises(ClientError) as e:
        sc.search_provisioned_products(Filters={"Owner": ["x"]})
    assert error_of(e) == (
        "InvalidParametersException",
        "1 validation error detected: Value at 'Filters.Owner' failed to satisfy constraint: Member must satisfy "
        "enum value set: [SearchQuery]", 400)


def test_an_unknown_record_and_provisioned_product_are_not_found(sc):
    with pytest.raises(ClientError) as e:
        sc.describe_record(Id="rec-nope")
    assert error_of(e) == ("ResourceNotFoundException", "Record rec-nope not found.", 400)
    with pytest.raises(ClientError) as e:
        sc.get_provisioned_product_outputs(ProvisionedProductName="nope")
    assert error_of(e) == ("ResourceNotFoundException", "Provisioned product nope not found.", 400)


# ---- provisioning on moto's CloudFormation -------------------------------------------------

@pytest.fixture(params=["sqlite", "postgres"])
def cfn_server(request, tmp_path, moto_url):
    """A fresh engine provisioning through moto's CloudFormation (moto reset first)."""
    urllib.request.urlopen(urllib.request.Request(moto_url + "/moto-api/reset", method="POST"), timeout=10)
    database = request.getfixturevalue("postgres").new_database() if request.param == "postgres" else None
    s = Server(tmp_path / "data", database, extra_args=["--cloudformation-endpoint", moto_url], extra_env=MOTO_ENV)
    yield s
    s.stop()


@pytest.fixture(params=PROTOCOLS)
def sc_cfn(request, cfn_server, cbor_model_dir):
    return catalog_client(cfn_server, request.param, cbor_model_dir)


def moto(moto_url, service):
    return botocore.session.get_session().create_client(
        service, endpoint_url=moto_url, region_name=REGION,
        aws_access_key_id=MOTO_ENV["AWS_ACCESS_KEY_ID"], aws_secret_access_key=MOTO_ENV["AWS_SECRET_ACCESS_KEY"])


def test_a_product_becomes_a_stack_with_outputs_is_updated_and_terminated(sc_cfn, cfn_server, moto_url):
    sc = sc_cfn
    product_id, v1, _ = launchable(sc, cfn_server)
    record = provision(sc, product_id, v1, params=[{"Key": "QueueName", "Value": "orders"},
                                                   {"Key": "Stage", "Value": "prod"}])
    done = wait_record(sc, record["RecordId"])
    assert done["RecordDetail"]["Status"] == "SUCCEEDED"
    assert done["RecordDetail"]["RecordErrors"] == []
    assert moto(moto_url, "sqs").get_queue_url(QueueName="orders")["QueueUrl"].endswith(f"/{ACCOUNT}/orders")
    queue_url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/orders"  # as moto's stack outputs name it
    assert done["RecordOutputs"] == [
        {"OutputKey": "QueueUrl", "OutputValue": queue_url, "Description": "Where to send"},
        {"OutputKey": "StageParameterName", "OutputValue": "/sc/orders/stage"}]
    assert moto(moto_url, "ssm").get_parameter(Name="/sc/orders/stage")["Parameter"]["Value"] == "prod"
    pp_id = record["ProvisionedProductId"]
    stack = moto(moto_url, "cloudformation").describe_stacks(StackName=f"SC-{ACCOUNT}-{pp_id}")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    pp = sc.describe_provisioned_product(Id=pp_id)["ProvisionedProductDetail"]
    assert (pp["Status"], pp["LastSuccessfulProvisioningRecordId"], pp["ProvisioningArtifactId"]) == (
        "AVAILABLE", record["RecordId"], v1)
    assert sc.get_provisioned_product_outputs(ProvisionedProductName="orders", OutputKeys=["QueueUrl"])["Outputs"] == [
        {"OutputKey": "QueueUrl", "OutputValue": queue_url, "Description": "Where to send"}]

    # A new version adds a bucket; Stage keeps its previous value.
    url = put_template(cfn_server, "queue/v2.json", BUCKET_TEMPLATE)
    v2 = sc.create_provisioning_artifact(ProductId=product_id, IdempotencyToken="v2",
                                         Parameters=artifact_params(url, "v2"))["ProvisioningArtifactDetail"]["Id"]
    update = sc.update_provisioned_product(ProvisionedProductId=pp_id, ProvisioningArtifactId=v2, UpdateToken="u1",
                                           ProvisioningParameters=[{"Key": "Stage", "UsePreviousValue": True}])
    assert update["RecordDetail"]["RecordType"] == "UPDATE_PROVISIONED_PRODUCT"
    updated = wait_record(sc, update["RecordDetail"]["RecordId"])
    assert updated["RecordDetail"]["Status"] == "SUCCEEDED"
    assert {o["OutputKey"]: o["OutputValue"] for o in updated["RecordOutputs"]}["BucketName"] == "orders-bucket"
    assert "orders-bucket" in [b["Name"] for b in moto(moto_url, "s3").list_buckets()["Buckets"]]
    pp = sc.describe_provisioned_product(Id=pp_id)["ProvisionedProductDetail"]
    assert (pp["Status"], pp["ProvisioningArtifactId"]) == ("AVAILABLE", v2)
    with pytest.raises(ClientError) as e:
        sc.delete_provisioning_artifact(ProductId=product_id, ProvisioningArtifactId=v2)
    assert error_of(e) == ("ResourceInUseException",
                           f"Provisioning artifact {v2} is used by provisioned product {pp_id}.", 400)

    end = sc.terminate_provisioned_product(ProvisionedProductName="orders", TerminateToken="end")["RecordDetail"]
    assert wait_record(sc, end["RecordId"])["RecordDetail"]["Status"] == "SUCCEEDED"
    assert sc.scan_provisioned_products()["ProvisionedProducts"] == []
    stacks = moto(moto_url, "cloudformation").list_stacks()["StackSummaries"]
    assert [s["StackStatus"] for s in stacks if s["StackName"] == f"SC-{ACCOUNT}-{pp_id}"] == ["DELETE_COMPLETE"]
    history = sc.list_record_history(SearchFilter={"Key": "provisionedproduct", "Value": pp_id})["RecordDetails"]
    assert [(r["RecordType"], r["Status"]) for r in history] == [
        ("PROVISION_PRODUCT", "SUCCEEDED"), ("UPDATE_PROVISIONED_PRODUCT", "SUCCEEDED"),
        ("TERMINATE_PROVISIONED_PRODUCT", "SUCCEEDED")]


def test_record_outputs_and_provisioned_product_outputs_come_in_pages(sc_cfn, cfn_server):
    sc = sc_cfn
    product_id, v1, _ = launchable(sc, cfn_server)
    record = provision(sc, product_id, v1, params=[{"Key": "QueueName", "Value": "paged"}])
    assert wait_record(sc, record["RecordId"])["RecordDetail"]["Status"] == "SUCCEEDED"
    first = sc.describe_record(Id=record["RecordId"], PageSize=1)
    assert [o["OutputKey"] for o in first["RecordOutputs"]] == ["QueueUrl"]
    second = sc.describe_record(Id=record["RecordId"], PageSize=1, PageToken=first["NextPageToken"])
    assert [o["OutputKey"] for o in second["RecordOutputs"]] == ["StageParameterName"]
    assert "NextPageToken" not in second
    outputs = sc.get_provisioned_product_outputs(ProvisionedProductId=record["ProvisionedProductId"], PageSize=1)
    assert [o["OutputKey"] for o in outputs["Outputs"]] == ["QueueUrl"]
    with pytest.raises(ClientError) as e:
        sc.describe_record(Id=record["RecordId"], PageToken=outputs["NextPageToken"])
    assert error_of(e) == ("InvalidParametersException",
                           f"The PageToken '{outputs['NextPageToken']}' is not valid.", 400)


def test_an_unchanged_update_succeeds_with_the_current_outputs(sc_cfn, cfn_server):
    sc = sc_cfn
    product_id, v1, _ = launchable(sc, cfn_server)
    first = wait_record(sc, provision(sc, product_id, v1)["RecordId"])
    pp_id = first["RecordDetail"]["ProvisionedProductId"]
    update = sc.update_provisioned_product(ProvisionedProductName="orders", UpdateToken="same")["RecordDetail"]
    again = wait_record(sc, update["RecordId"])
    assert again["RecordDetail"]["Status"] == "SUCCEEDED"
    assert again["RecordOutputs"] == first["RecordOutputs"]
    assert sc.describe_provisioned_product(Id=pp_id)["ProvisionedProductDetail"]["Status"] == "AVAILABLE"


def test_a_stack_that_cloudformation_refuses_fails_the_record_with_its_reason(sc_cfn, cfn_server):
    sc = sc_cfn
    broken = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue",
                                      "Properties": {"QueueName": {"Fn::GetAtt": ["Nope", "Arn"]}}}}}
    product_id, v1, _ = launchable(sc, cfn_server, template=broken)
    done = wait_record(sc, provision(sc, product_id, v1, params=[])["RecordId"])
    assert done["RecordDetail"]["Status"] == "FAILED"
    [error] = done["RecordDetail"]["RecordErrors"]
    assert error["Code"] == "CloudFormation"
    assert error["Description"] == ("CloudFormation CreateStack failed: ValidationError: Template error: instance of "
                                    "Fn::GetAtt references undefined resource Nope")
    pp = sc.describe_provisioned_product(Name="orders")["ProvisionedProductDetail"]
    assert (pp["Status"], pp["StatusMessage"]) == ("ERROR", error["Description"])


TOPIC_YAML = """\
Parameters:
  TopicName:
    Type: String
    Description: The topic's name
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Ref TopicName
Outputs:
  TopicArn:
    Value: !Ref Topic
    Description: Subscribe here
"""


def test_a_yaml_template_with_short_form_tags_is_read_and_provisioned(sc_cfn, cfn_server, moto_url):
    sc = sc_cfn
    product_id, v1, port = launchable(sc, cfn_server, name="topic", template=TOPIC_YAML)
    params = sc.describe_provisioning_parameters(ProductId=product_id, ProvisioningArtifactId=v1)
    assert params["ProvisioningArtifactParameters"] == [
        {"ParameterKey": "TopicName", "ParameterType": "String", "IsNoEcho": False,
         "Description": "The topic's name", "ParameterConstraints": {}}]
    done = wait_record(sc, provision(sc, product_id, v1, name="alerts",
                                     params=[{"Key": "TopicName", "Value": "alerts"}])["RecordId"])
    arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"
    assert done["RecordDetail"]["Status"] == "SUCCEEDED", done
    assert done["RecordOutputs"] == [{"OutputKey": "TopicArn", "OutputValue": arn, "Description": "Subscribe here"}]
    assert arn in [t["TopicArn"] for t in moto(moto_url, "sns").list_topics()["Topics"]]
