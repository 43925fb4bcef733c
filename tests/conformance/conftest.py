"""Starts a real `baryon serve` on a free loopback port for the conformance suite and gives
tests boto3 clients and an awscli runner signed with the engine's generated credentials."""

import configparser
import glob
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

REPO = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"
ACCOUNT = "123456789012"
# A second account every test server also serves, as an environment account.
ENV_ACCOUNT = "111122223333"


def _binary() -> Path:
    path = os.environ.get("BARYON_BIN")
    if not path:
        raise RuntimeError("BARYON_BIN must point at the baryon binary (scripts/test.sh sets it)")
    return Path(path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, data_dir: Path, database: str | None = None, extra_args=(), extra_env=None, port=None,
                 sync_interval=1):
        self.data_dir = data_dir
        self.database = database
        self.port = port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [str(_binary()), "serve", "--listen", f"127.0.0.1:{self.port}",
                "--data-dir", str(data_dir), "--region", REGION, "--account-id", ACCOUNT,
                "--environment-account", ENV_ACCOUNT, "--sync-interval", str(sync_interval)]
        if database:
            args += ["--database", database]
        args += list(extra_args)
        self.extra_args, self.extra_env = list(extra_args), dict(extra_env or {})
        env = {k: v for k, v in os.environ.items() if not k.startswith("BARYON_")}
        env.update(self.extra_env)
        env["RUST_LOG"] = "baryon=debug,baryon_engine=debug"
        self.log = open(data_dir.parent / f"server-{self.port}.log", "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()  # never leave a server behind when start-up fails
            raise

    def _wait_ready(self):
        log_path = self.data_dir.parent / f"server-{self.port}.log"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"baryon serve exited with {self.proc.returncode}: {log_path.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("baryon serve did not become healthy within 30 s")
        self.credentials_file = self.data_dir / "credentials"
        self.profiles = configparser.ConfigParser()
        self.profiles.read(self.credentials_file)
        self.access_key = self.profiles["default"]["aws_access_key_id"]
        self.secret_key = self.profiles["default"]["aws_secret_access_key"]

    def client(self, service="proton", profile="default", **kw):
        keys = self.profiles[profile]
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=kw.pop("access_key", keys["aws_access_key_id"]),
            aws_secret_access_key=kw.pop("secret_key", keys["aws_secret_access_key"]),
            config=Config(retries={"max_attempts": 1}),
            **kw,
        )

    def aws(self, *args: str) -> subprocess.CompletedProcess:
        """Runs the real awscli against the server with the credentials file it wrote."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env["AWS_SHARED_CREDENTIALS_FILE"] = str(self.credentials_file)
        env["AWS_CONFIG_FILE"] = os.devnull
        env["AWS_DEFAULT_REGION"] = REGION
        aws = Path(os.environ.get("VIRTUAL_ENV", REPO / "tests/.venv")) / "bin/aws"
        return subprocess.run([str(aws), *args, "--endpoint-url", self.url, "--output", "json"],
                              capture_output=True, text=True, env=env, timeout=60)

    def sql(self, statement: str):
        """Runs one SQL statement on the engine's database (to simulate a crash's leftovers, or
        to count rows); returns the rows, values as text."""
        if self.database is None:
            import sqlite3
            with sqlite3.connect(self.data_dir / "baryon.db") as db:
                return [tuple(str(v) for v in row) for row in db.execute(statement).fetchall()]
        bindir = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
        out = subprocess.run([f"{bindir}/psql", self.database, "-v", "ON_ERROR_STOP=1", "-At", "-c", statement],
                             check=True, capture_output=True, text=True).stdout
        return [tuple(line.split("|")) for line in out.splitlines() if line]

    def log_text(self) -> str:
        """The last lines of the server's log (for failure reports)."""
        path = self.data_dir.parent / f"server-{self.port}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-40:]) if path.exists() else ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.log.closed:
            self.log.close()


class Postgres:
    """A throwaway PostgreSQL cluster from Debian's packages on a free loopback port."""

    def __init__(self):
        bindirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        if not bindirs:
            raise RuntimeError("PostgreSQL server binaries not found (scripts/setup.sh installs them)")
        self.bin = Path(bindirs[-1])
        self.dir = Path(tempfile.mkdtemp(prefix="baryon-pg-"))
        os.chmod(self.dir, 0o777)
        # initdb refuses to run as root; run the server as the postgres user then.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.port = _free_port()
        self.data = self.dir / "data"
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "postgres.log"), "-w", "start",
                  "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off")
        self.count = 0

    def _run(self, tool, *args):
        subprocess.run([*self.as_user, str(self.bin / tool), *args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def new_database(self) -> str:
        self.count += 1
        name = f"baryon_{self.count}"
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self):
        subprocess.run([*self.as_user, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                        "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres():
    pg = Postgres()
    yield pg
    pg.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def server(request, tmp_path):
    """A fresh engine per test, on an empty SQLite database and on an empty PostgreSQL one."""
    database = request.getfixturevalue("postgres").new_database() if request.param == "postgres" else None
    s = Server(tmp_path / "data", database)
    yield s
    s.stop()


@pytest.fixture()
def proton(server):
    return server.client()


# moto's credentials, for the engine's CloudFormation client and tests looking at moto.
MOTO_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture(scope="session")
def moto_url():
    """A moto_server on a free loopback port: CloudFormation, SQS, SSM, SNS, S3 for the
    provisioner tests (Proton's and Service Catalog's)."""
    port = _free_port()
    moto = Path(os.environ.get("VIRTUAL_ENV", Path(__file__).resolve().parents[1] / ".venv")) / "bin/moto_server"
    proc = subprocess.Popen([str(moto), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("moto_server did not start")
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def error_of(excinfo):
    """(code, message, HTTP status) of a botocore ClientError."""
    r = excinfo.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]
