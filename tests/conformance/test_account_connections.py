"""Environment account connections between the two accounts every test server serves (its own
management account and one environment account, each with its own key pair in the generated
credentials file): requested in the environment account, accepted or rejected in the
management account, used by CreateEnvironment — through boto3 and awscli."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT, ENV_ACCOUNT, REGION, error_of
from test_environments import SPEC, publish

ROLE = f"arn:aws:iam::{ENV_ACCOUNT}:role/proton-env"


@pytest.fixture()
def env_account(server):
    """A Proton client signed with the environment account's key pair."""
    return server.client(profile=f"account-{ENV_ACCOUNT}")


def request(env_account, environment="prod", **kw):
    return env_account.create_environment_account_connection(
        managementAccountId=ACCOUNT, environmentName=environment, roleArn=ROLE, **kw)["environmentAccountConnection"]


def test_a_connection_is_requested_pending_in_the_environment_account(env_account):
    c = request(env_account, componentRoleArn=ROLE + "-components")
    assert {k: c[k] for k in ("environmentAccountId", "managementAccountId", "environmentName", "roleArn",
                              "componentRoleArn", "status")} == {
        "environmentAccountId": ENV_ACCOUNT, "managementAccountId": ACCOUNT, "environmentName": "prod",
        "roleArn": ROLE, "componentRoleArn": ROLE + "-components", "status": "PENDING"}
    assert c["arn"] == f"arn:aws:proton:{REGION}:{ENV_ACCOUNT}:environment-account-connection/{c['id']}"


def test_both_accounts_see_the_connection_and_no_one_else_owns_it(proton, env_account):
    c = request(env_account)
    assert proton.get_environment_account_connection(id=c["id"])["environmentAccountConnection"] == c
    assert env_account.get_environment_account_connection(id=c["id"])["environmentAccountConnection"] == c


def test_each_side_lists_the_connections_by_its_role(proton, env_account):
    c = request(env_account)
    ids = lambda client, by, **kw: [x["id"] for x in client.list_environment_account_connections(
        requestedBy=by, **kw)["environmentAccountConnections"]]
    assert ids(proton, "MANAGEMENT_ACCOUNT") == [c["id"]]
    assert ids(env_account, "ENVIRONMENT_ACCOUNT") == [c["id"]]
    assert ids(proton, "ENVIRONMENT_ACCOUNT") == []
    assert ids(env_account, "MANAGEMENT_ACCOUNT") == []
    assert ids(proton, "MANAGEMENT_ACCOUNT", statuses=["CONNECTED"]) == []
    assert ids(proton, "MANAGEMENT_ACCOUNT", environmentName="prod", statuses=["PENDING"]) == [c["id"]]


def test_the_management_account_accepts_and_the_environment_uses_it(server, proton, env_account):
    c = request(env_account)
    accepted = proton.accept_environment_account_connection(id=c["id"])["environmentAccountConnection"]
    assert accepted["status"] == "CONNECTED"
    assert proton.accept_environment_account_connection(id=c["id"])["environmentAccountConnection"][
        "status"] == "CONNECTED"
    proton.create_environment_template(name="queue-env")
    publish(proton, server, "queue-env")
    env = proton.create_environment(name="prod", templateName="queue-env", templateMajorVersion="1", spec=SPEC,
                                    environmentAccountConnectionId=c["id"])["environment"]
    assert (env["environmentAccountConnectionId"], env["environmentAccountId"]) == (c["id"], ENV_ACCOUNT)


def test_only_the_management_account_accepts(env_account):
    c = request(env_account)
    with pytest.raises(ClientError) as e:
        env_account.accept_environment_account_connection(id=c["id"])
    code, message, status = error_of(e)
    assert (code, status) == ("AccessDeniedException", 403)
    assert f"Only the management account {ACCOUNT}" in message


def test_a_pending_connection_cannot_be_used(server, proton, env_account):
    c = request(env_account)
    proton.create_environment_template(name="queue-env")
    publish(proton, server, "queue-env")
    with pytest.raises(ClientError) as e:
        proton.create_environment(name="prod", templateName="queue-env", templateMajorVersion="1", spec=SPEC,
                                  environmentAccountConnectionId=c["id"])
    code, message, _ = error_of(e)
    assert code == "ValidationException" and "PENDING, not CONNECTED" in message
    assert proton.list_environments()["environments"] == []


def test_a_connection_is_for_one_environment_name(server, proton, env_account):
    c = request(env_account)
    proton.accept_environment_account_connection(id=c["id"])
    proton.create_environment_template(name="queue-env")
    publish(proton, server, "queue-env")
    with pytest.raises(ClientError) as e:
        proton.create_environment(name="staging", templateName="queue-env", templateMajorVersion="1", spec=SPEC,
                                  environmentAccountConnectionId=c["id"])
    assert "is for environment prod, not staging" in error_of(e)[1]


def test_a_rejected_connection_stays_rejected(proton, env_account):
    c = request(env_account)
    assert proton.reject_environment_account_connection(id=c["id"])["environmentAccountConnection"][
        "status"] == "REJECTED"
    with pytest.raises(ClientError) as e:
        proton.accept_environment_account_connection(id=c["id"])
    assert error_of(e)[:1] == ("ConflictException",)
    with pytest.raises(ClientError) as e:
        env_account.update_environment_account_connection(id=c["id"], roleArn=ROLE + "2")
    assert error_of(e)[0] == "ConflictException"


def test_a_connection_in_use_cannot_be_rejected(server, proton, env_account):
    c = request(env_account)
    proton.accept_environment_account_connection(id=c["id"])
    proton.create_environment_template(name="queue-env")
    publish(proton, server, "queue-env")
    proton.create_environment(name="prod", templateName="queue-env", templateMajorVersion="1", spec=SPEC,
                              environmentAccountConnectionId=c["id"])
    with pytest.raises(ClientError) as e:
        proton.reject_environment_account_connection(id=c["id"])
    code, message, status = error_of(e)
    assert (code, status) == ("ConflictException", 409)
    assert "used by environment prod" in message


def test_a_second_live_connection_for_the_same_environment_is_a_conflict(proton, env_account):
    c = request(env_account)
    with pytest.raises(ClientError) as e:
        request(env_account)
    assert error_of(e)[0] == "ConflictException"
    proton.reject_environment_account_connection(id=c["id"])
    assert request(env_account)["status"] == "PENDING"


def test_the_client_token_makes_the_request_idempotent(env_account):
    first = request(env_account, clientToken="req-1")
    assert request(env_account, clientToken="req-1") == first
    with pytest.raises(ClientError) as e:
        request(env_account, environment="other", clientToken="req-1")
    assert "IdempotentParameterMismatch" in error_of(e)[1]


def test_an_unknown_management_account_is_refused(env_account):
    with pytest.raises(ClientError) as e:
        env_account.create_environment_account_connection(managementAccountId="999999999999",
                                                          environmentName="prod", roleArn=ROLE)
    code, message, _ = error_of(e)
    assert code == "ValidationException"
    assert message == "The management account 999999999999 is not an account this Baryon engine serves."


def test_an_account_cannot_connect_to_itself(proton):
    with pytest.raises(ClientError) as e:
        proton.create_environment_account_connection(managementAccountId=ACCOUNT, environmentName="prod",
                                                     roleArn=ROLE)
    assert error_of(e)[0] == "ValidationException"


def test_the_environment_account_updates_roles_and_deletes(proton, env_account):
    c = request(env_account)
    got = env_account.update_environment_account_connection(id=c["id"], codebuildRoleArn=ROLE + "-build")[
        "environmentAccountConnection"]
    assert (got["codebuildRoleArn"], got["roleArn"]) == (ROLE + "-build", ROLE)
    deleted = env_account.delete_environment_account_connection(id=c["id"])["environmentAccountConnection"]
    assert deleted["id"] == c["id"]
    with pytest.raises(ClientError) as e:
        proton.get_environment_account_connection(id=c["id"])
    assert error_of(e)[2] == 404


def test_the_management_account_cannot_delete_the_request(proton, env_account):
    c = request(env_account)
    with pytest.raises(ClientError) as e:
        proton.delete_environment_account_connection(id=c["id"])
    assert error_of(e)[0] == "AccessDeniedException"


def test_an_unknown_connection_is_not_found(proton):
    with pytest.raises(ClientError) as e:
        proton.get_environment_account_connection(id="01234567-89ab-4cde-8f01-23456789abcd")
    assert error_of(e)[:1] == ("ResourceNotFoundException",)


def test_connections_page_through_the_management_list(proton, env_account):
    made = sorted(request(env_account, environment=f"env-{i}")["id"] for i in range(5))
    seen, token = [], None
    while True:
        page = proton.list_environment_account_connections(
            requestedBy="MANAGEMENT_ACCOUNT", maxResults=2, **({"nextToken": token} if token else {}))
        seen += [c["id"] for c in page["environmentAccountConnections"]]
        token = page.get("nextToken")
        if not token:
            break
    assert seen == made


def test_awscli_uses_the_environment_account_profile(server):
    r = server.aws("proton", "create-environment-account-connection", "--management-account-id", ACCOUNT,
                   "--environment-name", "prod", "--role-arn", ROLE, "--profile", f"account-{ENV_ACCOUNT}")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["environmentAccountConnection"]["environmentAccountId"] == ENV_ACCOUNT


def test_each_account_has_its_own_resources(proton, env_account):
    proton.create_environment_template(name="only-in-management")
    assert env_account.list_environment_templates()["templates"] == []
    arn = env_account.create_environment_template(name="only-in-management")["environmentTemplate"]["arn"]
    assert arn == f"arn:aws:proton:{REGION}:{ENV_ACCOUNT}:environment-template/only-in-management"
