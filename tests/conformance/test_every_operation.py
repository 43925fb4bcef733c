"""Every operation of the Proton 2020-07-20 API, called through boto3 with a minimal request
built from botocore's own model: each answers a parsed response or one of the errors the model
lists for it (or a common AWS error) — never a client-side parse error, never 'not
implemented'."""

import botocore.session
import pytest
from botocore.exceptions import ClientError

COMMON_ERRORS = {"ValidationException", "SerializationException", "AccessDeniedException"}
MODEL = botocore.session.get_session().get_service_model("proton")


def sample(shape, depth=0):
    """A value of `shape` that passes botocore's client-side checks (types, required, min)."""
    t = shape.type_name
    if t == "structure":
        if depth > 4:
            return {}
        if shape.is_union if hasattr(shape, "is_union") else shape.metadata.get("union"):
            name, member = next(iter(shape.members.items()))
            return {name: sample(member, depth + 1)}
        return {name: sample(m, depth + 1) for name, m in shape.members.items() if name in shape.required_members}
    if t == "list":
        return [sample(shape.member, depth + 1)] * max(shape.metadata.get("min", 0), 0)
    if t == "map":
        return {}
    if t == "string":
        if shape.enum:
            return shape.enum[0]
        return "a" * max(shape.metadata.get("min", 1), 1)
    if t in ("integer", "long"):
        return max(shape.metadata.get("min", 1), 1)
    if t == "boolean":
        return False
    if t == "timestamp":
        return 0
    if t == "blob":
        return b"a"
    raise AssertionError(f"no sample for {t}")


def test_the_model_has_87_operations():
    assert len(MODEL.operation_names) == 87


@pytest.mark.parametrize("operation", MODEL.operation_names)
def test_every_operation_answers_a_modeled_response(proton, operation):
    op = MODEL.operation_model(operation)
    method = getattr(proton, botocore.xform_name(operation))
    params = sample(op.input_shape) if op.input_shape is not None else {}
    try:
        response = method(**params)
    except ClientError as e:
        code = e.response["Error"]["Code"]
        modeled = {s.name for s in op.error_shapes} | COMMON_ERRORS
        assert code in modeled, (operation, code, e.response["Error"]["Message"])
        assert e.response["Error"]["Message"], operation
        return
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


# --- the bad-input sweep: every operation refuses missing, oversized and wrongly typed members ---
# (sent raw, past botocore's own client-side checks) with the AWS error, and writes nothing.

import json  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402

from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

from conftest import REGION  # noqa: E402


def raw(server, operation, body):
    req = AWSRequest(method="POST", url=server.url + "/", data=json.dumps(body).encode(), headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"AwsProton20200720.{operation}"})
    SigV4Auth(Credentials(server.access_key, server.secret_key), "proton", REGION).add_auth(req)
    p = req.prepare()
    try:
        with urllib.request.urlopen(urllib.request.Request(p.url, data=p.body, headers=dict(p.headers),
                                                           method="POST"), timeout=10) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def rows(server):
    return server.sql("SELECT COUNT(*) FROM resources")[0][0]


def valid_input(operation):
    shape = MODEL.operation_model(operation).input_shape
    return shape, (sample(shape) if shape is not None else {})


def test_missing_required_members_are_validation_exceptions_naming_them_and_write_nothing(server):
    before = rows(server)
    checked = 0
    for operation in MODEL.operation_names:
        shape, _ = valid_input(operation)
        if shape is None or not shape.required_members:
            continue
        status, body = raw(server, operation, {})
        assert (status, body["__type"]) == (400, "ValidationException"), (operation, body)
        n = len(shape.required_members)
        assert body["message"].startswith(f"{n} validation error{'s' if n > 1 else ''} detected: "), body
        for member in shape.required_members:
            assert f"Value null at '{member}' failed to satisfy constraint: Member must not be null" in \
                body["message"], (operation, member, body)
        checked += 1
    assert checked >= 70
    assert rows(server) == before


def test_oversized_strings_are_validation_exceptions_and_write_nothing(server):
    before = rows(server)
    checked = 0
    for operation in MODEL.operation_names:
        shape, body = valid_input(operation)
        if shape is None:
            continue
        limited = [(name, m) for name, m in shape.members.items()
                   if m.type_name == "string" and "max" in m.metadata and not m.enum]
        if not limited:
            continue
        name, member = limited[0]
        status, answer = raw(server, operation, {**body, name: "a" * (member.metadata["max"] + 1)})
        assert (status, answer["__type"]) == (400, "ValidationException"), (operation, name, answer)
        assert f"Value at '{name}' failed to satisfy constraint: Member must have length less than or equal to " \
               f"{member.metadata['max']}" in answer["message"], (operation, answer)
        checked += 1
    assert checked >= 60
    assert rows(server) == before


def test_wrongly_typed_members_are_serialization_exceptions_and_write_nothing(server):
    before = rows(server)
    checked = 0
    for operation in MODEL.operation_names:
        shape, body = valid_input(operation)
        if shape is None or not shape.members:
            continue
        name, member = next(iter(shape.members.items()))
        wrong = "text" if member.type_name in ("integer", "long", "boolean", "list", "map", "structure") else 12
        status, answer = raw(server, operation, {**body, name: wrong})
        assert (status, answer["__type"]) == (400, "SerializationException"), (operation, name, answer)
        checked += 1
    assert checked >= 80
    assert rows(server) == before
