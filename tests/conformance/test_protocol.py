"""The wire: awsJson 1.0 framing, SigV4, errors in the AWS shape — with real clients."""

import datetime
import json
import urllib.error
import urllib.request

import botocore.auth
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import REGION, error_of


def raw(server, target, body, *, sign=True, content_type="application/x-amz-json-1.0",
        secret=None, service="proton"):
    """Sends a hand-built request; returns (status, headers, parsed JSON body)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = AWSRequest(method="POST", url=server.url + "/", data=data, headers={
        "Content-Type": content_type, "X-Amz-Target": target})
    if sign:
        SigV4Auth(Credentials(server.access_key, secret or server.secret_key), service,
                  REGION).add_auth(req)
    prepared = req.prepare()
    http_req = urllib.request.Request(prepared.url, data=prepared.body,
                                      headers=dict(prepared.headers), method="POST")
    try:
        with urllib.request.urlopen(http_req, timeout=10) as r:
            return r.status, r.headers, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, json.loads(e.read() or b"{}")


def test_health_answers_200(server):
    with urllib.request.urlopen(server.url + "/health") as r:
        assert r.status == 200


def test_every_response_carries_a_request_id(server):
    status, headers, _ = raw(server, "AwsProton20200720.ListEnvironmentTemplates", {})
    assert status == 200
    assert len(headers["x-amzn-RequestId"]) == 36


def test_an_unsigned_request_is_missing_authentication_token(server):
    status, _, body = raw(server, "AwsProton20200720.ListServices", {}, sign=False)
    assert (status, body) == (403, {"__type": "MissingAuthenticationTokenException",
                                    "message": "Missing Authentication Token"})


def test_a_wrong_secret_is_an_invalid_signature(server):
    client = server.client(secret_key="not-the-secret")
    with pytest.raises(ClientError) as e:
        client.list_environment_templates()
    code, message, status = error_of(e)
    assert (code, status) == ("InvalidSignatureException", 403)
    assert message.startswith("The request signature we calculated does not match")


def test_an_unknown_access_key_is_an_unrecognized_client(server):
    client = server.client(access_key="AKIAUNKNOWN000000000")
    with pytest.raises(ClientError) as e:
        client.list_environment_templates()
    assert error_of(e) == ("UnrecognizedClientException",
                           "The security token included in the request is invalid.", 403)


def test_a_signature_for_another_service_is_refused(server):
    status, _, body = raw(server, "AwsProton20200720.ListServices", {}, service="s3")
    assert status == 403
    assert body["__type"] == "InvalidSignatureException"
    assert body["message"].startswith("Credential should be scoped to correct service: 'proton'")


def test_a_clock_skewed_by_more_than_15_minutes_is_refused(server, monkeypatch):
    past = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=20)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: past)
    status, _, body = raw(server, "AwsProton20200720.ListServices", {})
    assert status == 403
    assert body["__type"] == "InvalidSignatureException"
    assert body["message"].startswith("Signature expired:")


def test_a_body_altered_after_signing_is_refused_and_nothing_is_written(server, proton):
    req = AWSRequest(method="POST", url=server.url + "/",
                     data=json.dumps({"name": "original"}).encode(),
                     headers={"Content-Type": "application/x-amz-json-1.0",
                              "X-Amz-Target": "AwsProton20200720.CreateEnvironmentTemplate"})
    SigV4Auth(Credentials(server.access_key, server.secret_key), "proton", REGION).add_auth(req)
    prepared = req.prepare()
    tampered = json.dumps({"name": "tampered"}).encode()
    http_req = urllib.request.Request(prepared.url, data=tampered, headers=dict(prepared.headers),
                                      method="POST")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(http_req, timeout=10)
    assert e.value.code == 403
    assert json.loads(e.value.read())["__type"] == "InvalidSignatureException"
    assert proton.list_environment_templates()["templates"] == []


def signed_headers(server, target="AwsProton20200720.CreateEnvironmentTemplate", body=b'{"name": "x"}'):
    req = AWSRequest(method="POST", url=server.url + "/", data=body,
                     headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target})
    SigV4Auth(Credentials(server.access_key, server.secret_key), "proton", REGION).add_auth(req)
    prepared = req.prepare()
    return prepared.url, prepared.body, dict(prepared.headers)


def send(url, body, headers):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers, method="POST"),
                                    timeout=10) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def test_a_signed_header_missing_from_the_request_is_refused_and_nothing_is_written(server, proton):
    url, body, headers = signed_headers(server)
    # X-Amz-Target was signed; without it the canonical request can't be rebuilt.
    del headers["X-Amz-Target"]
    status, answer = send(url, body, headers)
    assert (status, answer["__type"]) == (403, "InvalidSignatureException")
    assert proton.list_environment_templates()["templates"] == []


def test_a_signature_that_does_not_sign_the_host_is_refused(server):
    url, body, headers = signed_headers(server, "AwsProton20200720.ListServices", b"{}")
    auth = headers["Authorization"]
    signed = auth.split("SignedHeaders=")[1].split(",")[0]
    headers["Authorization"] = auth.replace(
        f"SignedHeaders={signed}", "SignedHeaders=" + ";".join(h for h in signed.split(";") if h != "host"))
    assert send(url, body, headers) == (403, {
        "__type": "InvalidSignatureException",
        "message": "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."})


def test_an_unknown_operation_is_refused(server):
    status, _, body = raw(server, "AwsProton20200720.ListWidgets", {})
    assert (status, body["__type"]) == (400, "UnknownOperationException")


def test_a_malformed_body_is_a_serialization_error_and_writes_nothing(server, proton):
    status, _, body = raw(server, "AwsProton20200720.CreateEnvironmentTemplate", b'{"name": "x"')
    assert (status, body["__type"]) == (400, "SerializationException")
    assert proton.list_environment_templates()["templates"] == []


def test_a_wrong_content_type_is_refused(server):
    status, _, body = raw(server, "AwsProton20200720.ListServices", {}, content_type="application/json")
    assert (status, body["__type"]) == (400, "UnsupportedMediaTypeException")


def test_an_oversize_body_is_refused(server):
    big = json.dumps({"name": "x", "description": "d" * (2 * 1024 * 1024)}).encode()
    status, _, body = raw(server, "AwsProton20200720.CreateEnvironmentTemplate", big)
    assert (status, body["__type"]) == (413, "RequestEntityTooLargeException")


def test_constraint_violations_are_validation_exceptions_in_the_aws_wording(proton):
    with pytest.raises(ClientError) as e:
        proton.create_environment_template(name="bad name!")
    assert error_of(e) == (
        "ValidationException",
        "1 validation error detected: Value at 'name' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^[0-9A-Za-z]+[0-9A-Za-z_\\-]*$",
        400,
    )


def test_awscli_works_with_the_generated_credentials_file(server):
    created = server.aws("proton", "create-environment-template", "--name", "from-cli")
    assert created.returncode == 0, created.stderr
    listed = server.aws("proton", "list-environment-templates")
    assert listed.returncode == 0, listed.stderr
    assert [t["name"] for t in json.loads(listed.stdout)["templates"]] == ["from-cli"]


def test_the_generated_credentials_file_is_private(server):
    assert server.credentials_file.stat().st_mode & 0o777 == 0o600
