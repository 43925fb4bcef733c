"""`baryon proxy --upstream https://…`: the console's signing proxy reaches a Proton endpoint
over TLS (rustls; roots from the system or SSL_CERT_FILE), signs for its host, and refuses an
endpoint whose certificate it can't trust. The endpoint here is a `baryon serve` behind a TLS
front on loopback (test CA made by the test)."""

import configparser
import json
import ssl
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import REGION, _binary, _free_port
from test_cloudformation_double import certificate_authority


class TlsFront:
    """HTTPS on loopback in front of an HTTP engine: requests are forwarded as they came
    (Host included, so the SigV4 signature still verifies)."""

    def __init__(self, upstream, tls):
        front = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("content-length", "connection")}
                request = urllib.request.Request(upstream + self.path, data=body, headers=headers, method="POST")
                try:
                    with urllib.request.urlopen(request, timeout=10) as r:
                        status, data, rheaders = r.status, r.read(), r.headers
                except urllib.error.HTTPError as e:
                    status, data, rheaders = e.code, e.read(), e.headers
                front.forwarded += 1
                self.send_response(status)
                for k, v in rheaders.items():
                    if k.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server"):
                        self.send_header(k, v)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.forwarded = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def front(server, tmp_path):
    ca, tls = certificate_authority(tmp_path)
    f = TlsFront(server.url, tls)
    f.ca = ca
    yield f
    f.stop()


def start_proxy(server, upstream, env, *extra):
    creds = configparser.ConfigParser()
    creds.read(server.data_dir / "credentials")
    port = _free_port()
    proc = subprocess.Popen(
        [str(_binary()), "proxy", "--upstream", upstream, "--listen", f"127.0.0.1:{port}", "--region", REGION,
         *extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={"PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": creds["default"]["aws_access_key_id"],
             "AWS_SECRET_ACCESS_KEY": creds["default"]["aws_secret_access_key"], **env})
    for line in proc.stdout:
        if line.startswith("Baryon proxy listening at "):
            return proc, f"http://127.0.0.1:{port}"
    proc.kill()
    raise AssertionError("the proxy did not start")


def call(proxy_url, op, body):
    request = urllib.request.Request(f"{proxy_url}/api/proton/{op}", data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json", "x-baryon-csrf": "1"})
    try:
        with urllib.request.urlopen(request, timeout=15) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_the_proxy_forwards_to_an_https_upstream_it_trusts(server, front):
    proc, url = start_proxy(server, front.url, {"SSL_CERT_FILE": str(front.ca)})
    try:
        assert call(url, "CreateEnvironmentTemplate", {"name": "over-tls"})[0] == 200
        status, body = call(url, "ListEnvironmentTemplates", {})
        assert (status, [t["name"] for t in body["templates"]]) == (200, ["over-tls"])
        assert front.forwarded == 2
    finally:
        proc.kill()
        proc.wait()


def test_the_proxy_refuses_an_https_upstream_with_an_untrusted_certificate(server, front):
    proc, url = start_proxy(server, front.url, {})
    try:
        status, body = call(url, "ListEnvironmentTemplates", {})
        assert status == 502, body
        assert front.forwarded == 0
    finally:
        proc.kill()
        proc.wait()


# --- bundle uploads to an S3-compatible store (moto's S3 on loopback) ----------------------------

from test_cloudformation import aws  # noqa: E402  (moto_url is a conftest fixture)


def upload(proxy_url, bucket, key, data):
    path = urllib.parse.quote(f"/api/bundles/{bucket}/{key}")
    request = urllib.request.Request(f"{proxy_url}{path}", data=data, method="PUT",
                                     headers={"content-type": "application/gzip", "x-baryon-csrf": "1"})
    try:
        with urllib.request.urlopen(request, timeout=15) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_a_bundle_uploaded_through_a_proxy_with_an_s3_store_lands_in_the_bucket(server, moto_url):
    s3 = aws(moto_url, "s3")
    s3.create_bucket(Bucket="bundles", CreateBucketConfiguration={"LocationConstraint": REGION})
    proc, url = start_proxy(server, server.url, {}, "--bundle-store", moto_url)
    try:
        data = bytes(range(256)) * 64
        assert upload(url, "bundles", "env/v1 bundle.tar.gz", data) == (
            200, {"s3": {"bucket": "bundles", "key": "env/v1 bundle.tar.gz"}})
        assert s3.get_object(Bucket="bundles", Key="env/v1 bundle.tar.gz")["Body"].read() == data
    finally:
        proc.kill()
        proc.wait()
        for o in s3.list_objects_v2(Bucket="bundles").get("Contents", []):
            s3.delete_object(Bucket="bundles", Key=o["Key"])
        s3.delete_bucket(Bucket="bundles")


def test_an_upload_to_a_missing_bucket_answers_502_with_s3s_reason(server, moto_url):
    proc, url = start_proxy(server, server.url, {}, "--bundle-store", moto_url)
    try:
        status, body = upload(url, "no-such-bucket", "b.tar.gz", b"x")
        assert status == 502
        assert body["__type"] == "BadGatewayException"
        assert body["message"].startswith("The bundle store refused the upload (404): NoSuchBucket: ")
    finally:
        proc.kill()
        proc.wait()
