"""Reference renderer for the golden rendering tests: Python's Jinja2 (what Proton renders
CloudFormation templates with), default settings, StrictUndefined, and Proton's filters
written from the Proton guide ("Parameter filters for CloudFormation IaC files").

Baryon's renderer (crates/model/src/render/jinja.rs) must produce exactly what this produces
for the same template and context.

    python tests/render/reference.py TEMPLATE CONTEXT.json   # prints the rendered template
"""

import json
import re
import sys

import jinja2

# Where a multi-line filter result starts, and its following lines: replaced after rendering
# by the indentation of the start, so a YAML block lands under the key it follows.
INDENT_START = "\ue000"
INDENT_LINE = "\ue001"

SAFE_VALUE = re.compile(r"^[a-zA-Z0-9_-]*$")
IAM_POLICY_ARN = re.compile(r"^arn:[a-zA-Z-]+:iam::\d{12}:policy/")
ARN = re.compile(r"^arn:[a-zA-Z0-9-]+:[a-zA-Z0-9-]+:[a-zA-Z0-9-]*:(\d{12})?:\S+$")
YAML_NUMBER = re.compile(
    r"^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$|^0[xXoObB]"
    r"|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$"
)
PLAIN_FIRST = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./")
PLAIN_REST = PLAIN_FIRST | set(":@=+-")


def yaml_scalar(s):
    """Plain when that reads back as the same string, else a JSON (YAML) quoted string."""
    plain = (
        s != ""
        and s[0] in PLAIN_FIRST
        and all(c in PLAIN_REST for c in s)
        and s.lower() not in ("true", "false", "yes", "no", "on", "off", "null", "y", "n")
        and not YAML_NUMBER.search(s)
    )
    return s if plain else json.dumps(s)


def _outputs(name, value):
    if not isinstance(value, dict):
        raise jinja2.TemplateRuntimeError(f"{name} expects a dict of outputs")
    return [(str(k), str(v)) for k, v in value.items()]


def _check_raw(raw, pairs):
    if not raw:
        for _, v in pairs:
            if not SAFE_VALUE.match(v):
                raise jinja2.TemplateRuntimeError(
                    f'Illegal character(s) detected in "{v}". Must match regex ^[a-zA-Z0-9_-]*$'
                )


def _block(lines):
    return INDENT_START + ("\n" + INDENT_LINE).join(lines)


def proton_cfn_ecs_task_definition_formatted_env_vars(value, raw=True):
    pairs = _outputs("proton_cfn_ecs_task_definition_formatted_env_vars", value)
    _check_raw(raw, pairs)
    if not pairs:
        return "[]"
    lines = []
    for k, v in pairs:
        lines.append(f"- Name: {yaml_scalar(k)}")
        lines.append(f"  Value: {yaml_scalar(v)}")
    return _block(lines)


def proton_cfn_lambda_function_formatted_env_vars(value, raw=True):
    pairs = _outputs("proton_cfn_lambda_function_formatted_env_vars", value)
    _check_raw(raw, pairs)
    if not pairs:
        return "{}"
    return _block([f"{yaml_scalar(k)}: {yaml_scalar(v)}" for k, v in pairs])


def proton_cfn_iam_policy_arns(value):
    pairs = _outputs("proton_cfn_iam_policy_arns", value)
    lines = [f"- {yaml_scalar(v)}" for _, v in pairs if IAM_POLICY_ARN.match(v)]
    return _block(lines) if lines else ""


def proton_cfn_sanitize(value):
    s = str(value)
    if SAFE_VALUE.match(s) or ARN.match(s):
        return s
    raise jinja2.TemplateRuntimeError(
        f'Illegal character(s) detected in "{s}". Must match regex ^[a-zA-Z0-9_-]*$ '
        "or be a valid ARN"
    )


def apply_indent_markers(text):
    out = []
    column = 0
    indent = 0
    for c in text:
        if c == INDENT_START:
            indent = column
        elif c == INDENT_LINE:
            out.append(" " * indent)
            column += indent
        elif c == "\n":
            out.append(c)
            column = 0
        else:
            out.append(c)
            column += 1
    return "".join(out)


def environment():
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.filters.update(
        proton_cfn_ecs_task_definition_formatted_env_vars=(
            proton_cfn_ecs_task_definition_formatted_env_vars
        ),
        proton_cfn_lambda_function_formatted_env_vars=proton_cfn_lambda_function_formatted_env_vars,
        proton_cfn_iam_policy_arns=proton_cfn_iam_policy_arns,
        proton_cfn_sanitize=proton_cfn_sanitize,
    )
    return env


def render(source, context):
    """Renders template text with a context object (the JSON `baryon render` prints)."""
    return apply_indent_markers(environment().from_string(source).render(context))


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    with open(argv[1], encoding="utf-8", newline="") as f:
        source = f.read()
    with open(argv[2], encoding="utf-8") as f:
        context = json.load(f)
    sys.stdout.write(render(source, context))


if __name__ == "__main__":
    main(sys.argv)
