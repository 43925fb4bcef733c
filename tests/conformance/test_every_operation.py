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
