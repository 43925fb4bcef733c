"""The CloudFormation provisioner against a scripted CloudFormation double (cfn_double.py), for
what moto cannot show: stacks that stay IN_PROGRESS until the test moves them on, rollbacks
with CloudFormation's reasons, cancellation (CancelUpdateStack; a create is stopped by deleting
the stack), throttling and 5xx answers retried, and an engine restart in the middle of a poll."""

import signal
import time

import pytest

from cfn_double import Double
from conftest import Server
from test_cloudformation import MOTO_ENV, ROLE
from test_environments import SPEC, publish, wait_status

STACK = "baryon-123456789012-env-dev"


@pytest.fixture()
def double():
    d = Double()
    yield d
    d.stop()


@pytest.fixture()
def engine(double, tmp_path):
    s = Server(tmp_path / "data", None, extra_args=["--cloudformation-endpoint", double.url], extra_env=MOTO_ENV)
    yield s
    s.stop()


def until(condition, timeout=20):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def create(engine, double):
    proton = engine.client()
    proton.create_environment_template(name="queue-env")
    publish(proton, engine, "queue-env")
    proton.create_environment(name="dev", templateName="queue-env", templateMajorVersion="1", spec=SPEC,
                              protonServiceRoleArn=ROLE)
    until(lambda: STACK in double.stacks)
    return proton


def created(engine, double):
    proton = create(engine, double)
    double.set(STACK, "CREATE_COMPLETE", outputs={"QueueUrl": "http://q/orders"},
               resources=[("Queue", "http://q/orders", "AWS::SQS::Queue")])
    assert wait_status(proton, "dev")["deploymentStatus"] == "SUCCEEDED"
    return proton


def update(proton, double):
    proton.update_environment(name="dev", deploymentType="CURRENT_VERSION", spec=SPEC + "  retention_seconds: 600\n")
    until(lambda: double.stacks[STACK].status == "UPDATE_IN_PROGRESS")


def test_a_stack_in_progress_keeps_the_deployment_in_progress_until_it_completes(engine, double):
    proton = create(engine, double)
    until(lambda: double.count("DescribeStacks") >= 3)
    assert proton.get_environment(name="dev")["environment"]["deploymentStatus"] == "IN_PROGRESS"
    double.set(STACK, "CREATE_COMPLETE", outputs={"QueueUrl": "http://q/orders"},
               resources=[("Queue", "http://q/orders", "AWS::SQS::Queue")])
    assert wait_status(proton, "dev")["deploymentStatus"] == "SUCCEEDED"
    assert proton.list_environment_outputs(environmentName="dev")["outputs"] == [
        {"key": "QueueUrl", "valueString": "http://q/orders"}]
    assert proton.list_environment_provisioned_resources(environmentName="dev")["provisionedResources"] == [
        {"identifier": "http://q/orders", "name": "Queue", "provisioningEngine": "CLOUDFORMATION"}]


def test_a_rolled_back_create_fails_with_the_first_failure_cloudformation_recorded(engine, double):
    proton = create(engine, double)
    double.set(STACK, "ROLLBACK_COMPLETE", events=[
        ("Queue", "CREATE_IN_PROGRESS", ""),
        ("Queue", "CREATE_FAILED", "Resource handler returned message: \"Access Denied\""),
        ("QueueNameParameter", "CREATE_FAILED", "Resource creation cancelled"),
        (STACK, "ROLLBACK_COMPLETE", ""),
    ])
    env = wait_status(proton, "dev")
    assert env["deploymentStatus"] == "FAILED"
    assert env["deploymentStatusMessage"] == (
        f"The stack {STACK} ended ROLLBACK_COMPLETE: Resource handler returned message: \"Access Denied\"")


def test_a_rolled_back_update_fails_with_the_reason_and_keeps_the_previous_spec(engine, double):
    proton = created(engine, double)
    update(proton, double)
    double.set(STACK, "UPDATE_ROLLBACK_COMPLETE", reason="The following resource(s) failed to update: [Queue].")
    env = wait_status(proton, "dev")
    assert env["deploymentStatus"] == "FAILED"
    assert env["deploymentStatusMessage"] == (
        f"The stack {STACK} ended UPDATE_ROLLBACK_COMPLETE: The following resource(s) failed to update: [Queue].")
    assert env["spec"] == SPEC


def test_cancelling_an_update_cancels_the_stack_update_and_ends_cancelled(engine, double):
    proton = created(engine, double)
    update(proton, double)
    env = proton.cancel_environment_deployment(environmentName="dev")["environment"]
    assert env["deploymentStatus"] == "CANCELLING"
    assert double.count("CancelUpdateStack") == 1
    assert double.stacks[STACK].status == "UPDATE_ROLLBACK_IN_PROGRESS"
    deployment = env["lastAttemptedDeploymentId"]
    assert proton.get_deployment(id=deployment)["deployment"]["deploymentStatus"] == "CANCELLING"
    double.set(STACK, "UPDATE_ROLLBACK_COMPLETE", reason="User Initiated")
    env = wait_status(proton, "dev")
    assert env["deploymentStatus"] == "CANCELLED"
    assert env["spec"] == SPEC
    assert proton.get_deployment(id=deployment)["deployment"]["deploymentStatus"] == "CANCELLED"


def test_cancelling_a_create_deletes_the_half_made_stack(engine, double):
    proton = create(engine, double)
    env = proton.cancel_environment_deployment(environmentName="dev")["environment"]
    assert env["deploymentStatus"] == "CANCELLING"
    assert double.stacks[STACK].status == "DELETE_IN_PROGRESS"
    double.set(STACK, "DELETE_COMPLETE")
    assert wait_status(proton, "dev")["deploymentStatus"] == "CANCELLED"


def test_an_update_past_cancelling_ends_as_it_ends(engine, double):
    proton = created(engine, double)
    update(proton, double)
    double.failures["CancelUpdateStack"] = [
        (400, "ValidationError", "CancelUpdateStack cannot be called from current stack status UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")]
    assert proton.cancel_environment_deployment(environmentName="dev")["environment"]["deploymentStatus"] == "CANCELLING"
    double.set(STACK, "UPDATE_COMPLETE")
    env = wait_status(proton, "dev")
    assert env["deploymentStatus"] == "SUCCEEDED"
    assert env["spec"] == SPEC + "  retention_seconds: 600\n"


def test_a_deletion_in_progress_cannot_be_cancelled(engine, double):
    proton = created(engine, double)
    proton.delete_environment(name="dev")
    until(lambda: double.stacks[STACK].status == "DELETE_IN_PROGRESS")
    with pytest.raises(proton.exceptions.ValidationException):
        proton.cancel_environment_deployment(environmentName="dev")
    double.set(STACK, "DELETE_COMPLETE")
    until(lambda: proton.list_environments()["environments"] == [])


def test_throttling_and_5xx_answers_are_retried(engine, double):
    double.failures["CreateStack"] = [(400, "Throttling", "Rate exceeded")] * 2
    double.failures["DescribeStacks"] = [(503, "ServiceUnavailable", "Service is unavailable")]
    proton = create(engine, double)
    assert double.count("CreateStack") == 3
    double.set(STACK, "CREATE_COMPLETE")
    assert wait_status(proton, "dev")["deploymentStatus"] == "SUCCEEDED"


def test_an_engine_restart_in_the_middle_of_a_poll_resumes_and_finishes(engine, double):
    create(engine, double)
    until(lambda: double.count("DescribeStacks") >= 2)
    engine.proc.send_signal(signal.SIGKILL)
    engine.proc.wait()
    double.set(STACK, "CREATE_COMPLETE", outputs={"QueueUrl": "http://q/orders"})
    again = Server(engine.data_dir, None, engine.extra_args, engine.extra_env)
    try:
        proton = again.client()
        assert wait_status(proton, "dev")["deploymentStatus"] == "SUCCEEDED"
        assert proton.list_environment_outputs(environmentName="dev")["outputs"] == [
            {"key": "QueueUrl", "valueString": "http://q/orders"}]
        assert double.count("CreateStack") == 1
    finally:
        again.stop()


def certificate_authority(directory):
    """A CA and a certificate for 127.0.0.1 it signed (files: ca.pem, cert.pem, key.pem)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("baryon test CA")).issuer_name(name("baryon test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder().subject_name(name("127.0.0.1")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    (directory / "ca.pem").write_bytes(ca.public_bytes(pem))
    (directory / "cert.pem").write_bytes(cert.public_bytes(pem))
    (directory / "key.pem").write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()))
    return directory / "ca.pem", (str(directory / "cert.pem"), str(directory / "key.pem"))


def test_an_https_endpoint_is_reached_over_tls_with_the_trusted_roots(tmp_path):
    ca, tls = certificate_authority(tmp_path)
    double = Double(tls=tls)
    assert double.url.startswith("https://")
    engine = Server(tmp_path / "data", None, extra_args=["--cloudformation-endpoint", double.url],
                    extra_env={**MOTO_ENV, "SSL_CERT_FILE": str(ca)})
    try:
        proton = create(engine, double)
        double.set(STACK, "CREATE_COMPLETE", outputs={"QueueUrl": "https://q/orders"})
        assert wait_status(proton, "dev")["deploymentStatus"] == "SUCCEEDED"
    finally:
        engine.stop()
        double.stop()


def test_an_https_endpoint_with_an_untrusted_certificate_is_not_used(tmp_path):
    _, tls = certificate_authority(tmp_path)
    double = Double(tls=tls)
    engine = Server(tmp_path / "data", None, extra_args=["--cloudformation-endpoint", double.url],
                    extra_env=MOTO_ENV)
    try:
        proton = engine.client()
        proton.create_environment_template(name="queue-env")
        publish(proton, engine, "queue-env")
        proton.create_environment(name="dev", templateName="queue-env", templateMajorVersion="1", spec=SPEC,
                                  protonServiceRoleArn=ROLE)
        until(lambda: "invalid peer certificate" in engine.log_text() or "UnknownIssuer" in engine.log_text())
        assert double.calls == []
    finally:
        engine.stop()
        double.stop()
