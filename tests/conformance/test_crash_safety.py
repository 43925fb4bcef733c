"""Crash safety: `baryon serve` killed with SIGKILL in the middle of 200 concurrent creates and
updates, then restarted on the same database. Every request that was acknowledged (2xx) is
there, nothing is half-written (each environment has its deployment record), and no deployment
is left in progress."""

import concurrent.futures
import signal
import threading

from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.exceptions import ConnectionClosedError, ReadTimeoutError

from conftest import Server
from test_environments import SPEC, publish, wait_status

ROLE = "arn:aws:iam::123456789012:role/proton"


def test_acknowledged_writes_survive_a_kill_and_nothing_stays_in_progress(server, proton):
    proton.create_environment_template(name="managed")
    publish(proton, server, "managed")
    acknowledged = {"templates": set(), "environments": set(), "described": set()}
    lock = threading.Lock()
    done = threading.Event()
    count = [0]

    def one(i):
        client = server.client()
        try:
            if i % 3 == 0:
                client.create_environment_template(name=f"t-{i}")
                kind = "templates"
            elif i % 3 == 1:
                client.create_environment(name=f"e-{i}", templateName="managed", templateMajorVersion="1",
                                          spec=SPEC, protonServiceRoleArn=ROLE)
                kind = "environments"
            else:
                client.update_environment_template(name="managed", description=f"d-{i}")
                kind = "described"
        except (ClientError, EndpointConnectionError, ConnectionClosedError, ReadTimeoutError, OSError):
            return
        with lock:
            acknowledged[kind].add(i)
            count[0] += 1
            if count[0] == 80:
                done.set()

    def killer():
        done.wait(timeout=60)
        server.proc.send_signal(signal.SIGKILL)

    k = threading.Thread(target=killer)
    k.start()
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(one, range(200)))
    k.join()
    server.proc.wait(timeout=10)
    assert len(acknowledged["templates"]) + len(acknowledged["environments"]) >= 50, acknowledged

    again = Server(server.data_dir, server.database)
    try:
        client = again.client()
        templates = {t["name"] for t in client.list_environment_templates()["templates"]}
        missing = {f"t-{i}" for i in acknowledged["templates"]} - templates
        assert not missing, missing
        envs = {e["name"]: e for e in client.list_environments(maxResults=100)["environments"]}
        token = None
        while True:
            page = client.list_environments(maxResults=100, **({"nextToken": token} if token else {}))
            envs.update({e["name"]: e for e in page["environments"]})
            token = page.get("nextToken")
            if not token:
                break
        missing = {f"e-{i}" for i in acknowledged["environments"]} - set(envs)
        assert not missing, missing
        # PostgreSQL may be shared by several engines, so a job the killed engine held is only
        # due again when its lease (15 s) expires; the embedded SQLite engine releases at start.
        for name in envs:
            env = wait_status(client, name, timeout=60)
            assert env["deploymentStatus"] == "FAILED", (name, env, again.log_text())
            d = client.get_deployment(id=env["lastAttemptedDeploymentId"])["deployment"]
            assert (d["targetArn"], d["deploymentStatus"]) == (env["arn"], "FAILED")
    finally:
        again.stop()
