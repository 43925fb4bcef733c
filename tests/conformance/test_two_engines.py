"""Several engines on one PostgreSQL database (sharing one data directory, as they must: bundles,
repositories and CodeBuild work directories live there): concurrent deployments through both
engines each run exactly once — the job queue's conditional claims hand each step to one engine."""

import os
import sys
import threading
import time
from pathlib import Path

import pytest

from bundles import publish_environment_template
from conftest import Server

VENV_BIN = Path(sys.executable).parent
ROLE = "arn:aws:iam::123456789012:role/proton-codebuild"
SCHEMA = b"""schema:
  format:
    openapi: "3.0.0"
  environment_input_type: "Input"
  types:
    Input:
      type: object
      properties:
        n:
          type: string
          default: "0"
"""
# Each run appends its deployment id to the marker file: the test counts them.
MANIFEST = b"""infrastructure:
  templates:
    - rendering_engine: codebuild
      settings:
        image: aws/codebuild/amazonlinux2-x86_64-standard:4.0
        runtimes:
          python: 3.11
        provision:
          - echo "$DEPLOYMENT_ID" >> "$RUNS_MARKER"
        deprovision:
          - "true"
"""
COUNT = 24


@pytest.fixture()
def engines(postgres, tmp_path):
    database = postgres.new_database()
    env = {"PATH": f"{VENV_BIN}:{os.environ['PATH']}", "RUNS_MARKER": str(tmp_path / "runs.txt")}
    first = Server(tmp_path / "data", database, extra_args=["--codebuild"], extra_env=env)
    second = None
    try:
        second = Server(tmp_path / "data", database, extra_args=["--codebuild"], extra_env=env)
        yield first, second
    finally:
        first.stop()
        if second:
            second.stop()


def test_concurrent_deployments_through_two_engines_each_run_exactly_once(engines, tmp_path):
    first, second = engines
    proton = first.client()
    publish_environment_template(proton, first, "count-env", {"schema/schema.yaml": SCHEMA,
                                                              "infrastructure/manifest.yaml": MANIFEST})
    clients = [first.client(), second.client()]
    errors = []

    def create(i):
        try:
            clients[i % 2].create_environment(
                name=f"env-{i}", templateName="count-env", templateMajorVersion="1",
                spec=f"proton: EnvironmentSpec\nspec:\n  n: \"{i}\"\n", protonServiceRoleArn=ROLE)
        except Exception as e:  # noqa: BLE001 — reported below
            errors.append(e)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(COUNT)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        envs = proton.list_environments()["environments"]
        if len(envs) == COUNT and all(e["deploymentStatus"] == "SUCCEEDED" for e in envs):
            break
        time.sleep(0.2)
    envs = proton.list_environments()["environments"]
    assert sorted(e["deploymentStatus"] for e in envs) == ["SUCCEEDED"] * COUNT
    runs = (tmp_path / "runs.txt").read_text().split()
    deployments = sorted(proton.get_environment(name=e["name"])["environment"]["lastSucceededDeploymentId"]
                         for e in envs)
    assert sorted(runs) == deployments  # every deployment ran, none twice
    started = [(tmp_path / f"server-{s.port}.log").read_text().count("codebuild commands started")
               for s in (first, second)]
    assert sum(started) == COUNT
    assert all(started), f"both engines should have taken a share of the work: {started}"
