"""CodeBuild-style provisioning (`rendering_engine: codebuild`): the manifest's provision
commands run on the engine's machine in a work directory holding the bundle and the rendered
proton-input.json, report outputs through the engine's own API with awscli
(`notify-resource-deployment-status-change --status IN_PROGRESS`) and a proton-outputs.json;
the exit status decides the outcome; logs are kept; deletes run the deprovision commands;
timeouts and cancellations stop the commands; an engine restart does not lose a run."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bundles import fixture_files, publish_environment_template
from conftest import Server, _binary, error_of
from test_environments import wait_status

VENV_BIN = Path(sys.executable).parent
ROLE = "arn:aws:iam::123456789012:role/proton-codebuild"


def start(tmp_path, request, *extra):
    database = request.getfixturevalue("postgres").new_database() if request.param == "postgres" else None
    marker = tmp_path / "marker.txt"
    env = {"PATH": f"{VENV_BIN}:{os.environ['PATH']}", "BUILD_ENV_MARKER": str(marker)}
    return Server(tmp_path / "data", database, extra_args=["--codebuild", *extra], extra_env=env)


@pytest.fixture()
def build(request, tmp_path):
    """An engine with CodeBuild-style provisioning on (SQLite and PostgreSQL)."""
    s = start(tmp_path, request)
    yield s
    s.stop()


@pytest.fixture(params=["sqlite"])
def build_sqlite(request, tmp_path):
    s = start(tmp_path, request)
    yield s
    s.stop()


def pytest_generate_tests(metafunc):
    if "build" in metafunc.fixturenames:
        metafunc.parametrize("build", ["sqlite", "postgres"], indirect=True)


def spec(**inputs):
    lines = "".join(f"  {k}: \"{v}\"\n" for k, v in inputs.items())
    return "proton: EnvironmentSpec\nspec:\n" + (lines or "  greeting: \"hello\"\n")


def create(server, name="dev", **inputs):
    proton = server.client()
    if not proton.list_environment_templates()["templates"]:
        publish_environment_template(proton, server, "build-env", fixture_files("build-env"))
    proton.create_environment(name=name, templateName="build-env", templateMajorVersion="1", spec=spec(**inputs),
                              codebuildRoleArn=ROLE, protonServiceRoleArn=ROLE)
    return proton


def outputs(proton, name="dev"):
    return {o["key"]: o["valueString"] for o in proton.list_environment_outputs(environmentName=name)["outputs"]}


def logs(server, deployment_id):
    return subprocess.run([str(_binary()), "logs", deployment_id, "--data-dir", str(server.data_dir)],
                          capture_output=True, text=True, check=False)


def test_provision_commands_run_and_report_outputs_through_the_api_and_a_file(build):
    proton = create(build, greeting="bonjour")
    env = wait_status(proton, "dev", timeout=30)
    assert env["deploymentStatus"] == "SUCCEEDED", env.get("deploymentStatusMessage")
    assert outputs(proton) == {"Greeting": "bonjour", "DeploymentId": env["lastSucceededDeploymentId"]}


def test_the_commands_log_is_kept_and_printed_by_baryon_logs(build_sqlite):
    proton = create(build_sqlite)
    env = wait_status(proton, "dev", timeout=30)
    printed = logs(build_sqlite, env["lastSucceededDeploymentId"])
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.splitlines()[0] == f"provisioning {env['arn']}"
    assert printed.stdout.splitlines()[-1] == "provisioned"


def test_a_failing_command_fails_the_deployment_with_the_exit_status_and_the_logs_tail(build):
    proton = create(build, exit_code="3")
    env = wait_status(proton, "dev", timeout=30)
    assert env["deploymentStatus"] == "FAILED"
    assert env["deploymentStatusMessage"] == (
        "the provision commands failed with exit status 3; last lines of the log:\n"
        f"provisioning {env['arn']}\nprovisioning failed on purpose")
    d = proton.get_deployment(id=env["lastAttemptedDeploymentId"])["deployment"]
    assert d["deploymentStatus"] == "FAILED"
    assert outputs(proton) == {}


def test_deleting_runs_the_deprovision_commands(build_sqlite, tmp_path):
    proton = create(build_sqlite)
    assert wait_status(proton, "dev", timeout=30)["deploymentStatus"] == "SUCCEEDED"
    arn = proton.get_environment(name="dev")["environment"]["arn"]
    proton.delete_environment(name="dev")
    deadline = time.monotonic() + 30
    while proton.list_environments()["environments"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert proton.list_environments()["environments"] == []
    assert (tmp_path / "marker.txt").read_text() == f"deprovisioned {arn}\n"


def test_a_notification_other_than_in_progress_is_refused_for_codebuild_provisioning(build_sqlite):
    proton = create(build_sqlite, sleep_seconds="30")
    env = proton.get_environment(name="dev")["environment"]
    with pytest.raises(proton.exceptions.ValidationException) as e:
        proton.notify_resource_deployment_status_change(resourceArn=env["arn"], status="SUCCEEDED")
    assert error_of(e)[1] == (
        f"The resource {env['arn']} is provisioned by CodeBuild commands, whose exit status decides the outcome; "
        "report outputs with status IN_PROGRESS.")
    proton.cancel_environment_deployment(environmentName="dev")


def test_cancelling_stops_the_running_commands(build_sqlite):
    proton = create(build_sqlite, sleep_seconds="60")
    work = next((build_sqlite.data_dir / "codebuild").glob("*/*/workspace"), None)
    deadline = time.monotonic() + 20
    while (work is None or not (work / "pid").exists()) and time.monotonic() < deadline:
        time.sleep(0.05)
        work = next((build_sqlite.data_dir / "codebuild").glob("*/*/workspace"), None)
    pid = int((work / "pid").read_text())
    env = proton.cancel_environment_deployment(environmentName="dev")["environment"]
    assert env["deploymentStatus"] == "CANCELLED"
    deadline = time.monotonic() + 10
    while process_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not process_alive(pid)


def process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has ended; only its parent has not collected it yet.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(")")[-1].split()[0] != "Z"


@pytest.mark.parametrize("timeout_server", ["sqlite"], indirect=True)
def test_commands_running_past_the_timeout_are_stopped_and_fail(timeout_server):
    proton = create(timeout_server, sleep_seconds="60")
    env = wait_status(proton, "dev", timeout=30)
    assert env["deploymentStatus"] == "FAILED"
    assert env["deploymentStatusMessage"] == (
        f"the commands did not finish within 1 s and were stopped; last lines of the log:\nprovisioning {env['arn']}")


@pytest.fixture()
def timeout_server(request, tmp_path):
    s = start(tmp_path, request, "--codebuild-timeout", "1")
    yield s
    s.stop()


def test_a_run_survives_an_engine_restart(build_sqlite):
    proton = create(build_sqlite, sleep_seconds="3")
    time.sleep(0.5)
    build_sqlite.proc.send_signal(signal.SIGKILL)
    build_sqlite.proc.wait()
    # Restarted on the same address, which the running commands report to.
    again = Server(build_sqlite.data_dir, None, build_sqlite.extra_args, build_sqlite.extra_env,
                   port=build_sqlite.port)
    try:
        env = wait_status(again.client(), "dev", timeout=30)
        assert env["deploymentStatus"] == "SUCCEEDED", env.get("deploymentStatusMessage")
        # The commands ran once: one provisioning in the log.
        printed = logs(again, env["lastSucceededDeploymentId"]).stdout
        assert printed.count("provisioning ") == 1
    finally:
        again.stop()


def test_codebuild_templates_fail_saying_how_to_enable_them_when_it_is_off(server):
    proton = create(server)
    env = wait_status(proton, "dev", timeout=30)
    assert env["deploymentStatus"] == "FAILED"
    assert env["deploymentStatusMessage"] == (
        "This template provisions with CodeBuild (rendering_engine: codebuild), which runs the manifest's "
        "commands on the Baryon engine's machine and is off; start the engine with `baryon serve --codebuild` "
        "to allow it.")
