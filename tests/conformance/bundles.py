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
