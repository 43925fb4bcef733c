"""Builds template bundles (.tar.gz) from tests/fixtures and puts them in a server's artifact
store (<data-dir>/buckets/<bucket>/<key>), as an upload would."""

import io
import tarfile
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "templates"


def tar_gz(files: dict[str, bytes], extra=None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if extra:
            extra(tar)
    return buf.getvalue()


def fixture_files(template: str, version: str = "v1") -> dict[str, bytes]:
    root = FIXTURES / template / version
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def put(server, key: str, data: bytes, bucket: str = "templates") -> dict:
    path = server.data_dir / "buckets" / bucket / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return {"s3": {"bucket": bucket, "key": key}}


def publish_environment_template(proton, server, name, files, **template_kw):
    """Creates environment template `name`, registers `files` as its version 1.0 and publishes
    it (as an administrator would)."""
    import time
    proton.create_environment_template(name=name, **template_kw)
    src = put(server, f"{name}/v1.tar.gz", tar_gz(files))
    proton.create_environment_template_version(templateName=name, source=src)
    deadline = time.monotonic() + 20
    while (v := proton.get_environment_template_version(templateName=name, majorVersion="1", minorVersion="0")[
            "environmentTemplateVersion"])["status"] == "REGISTRATION_IN_PROGRESS" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert v["status"] == "DRAFT", v.get("statusMessage")
    proton.update_environment_template_version(templateName=name, majorVersion="1", minorVersion="0",
                                               status="PUBLISHED")
