"""Template versions: asynchronous registration from bundles, numbering, publishing,
recommended versions, idempotency and deletion rules — through boto3."""

import io
import tarfile
import time

import pytest
from botocore.exceptions import ClientError

from bundles import fixture_files, put, tar_gz
from conftest import error_of


def wait_registered(proton, template, major, minor, service=False, timeout=20):
    get = proton.get_service_template_version if service else proton.get_environment_template_version
    key = "serviceTemplateVersion" if service else "environmentTemplateVersion"
    deadline = time.monotonic() + timeout
    while True:
        v = get(templateName=template, majorVersion=major, minorVersion=minor)[key]
        if v["status"] != "REGISTRATION_IN_PROGRESS" or time.monotonic() > deadline:
            return v
        time.sleep(0.05)


@pytest.fixture()
def env_template(server, proton):
    proton.create_environment_template(name="queue-env")
    return put(server, "queue-env/v1.tar.gz", tar_gz(fixture_files("queue-env")))


def test_a_new_version_starts_registering_and_becomes_draft_with_its_schema(proton, env_template):
    v = proton.create_environment_template_version(templateName="queue-env", source=env_template)[
        "environmentTemplateVersion"]
    assert (v["majorVersion"], v["minorVersion"], v["status"]) == ("1", "0", "REGISTRATION_IN_PROGRESS")
    assert v["arn"].endswith(":environment-template/queue-env:1.0")
    done = wait_registered(proton, "queue-env", "1", "0")
    assert done["status"] == "DRAFT"
    assert "environment_input_type" in done["schema"]


def test_versions_number_minors_within_a_major_and_new_majors_without_one(proton, env_template):
    proton.create_environment_template_version(templateName="queue-env", source=env_template)
    second = proton.create_environment_template_version(templateName="queue-env", majorVersion="1",
                                                        source=env_template)["environmentTemplateVersion"]
    third = proton.create_environment_template_version(templateName="queue-env", source=env_template)[
        "environmentTemplateVersion"]
    assert [(v["majorVersion"], v["minorVersion"]) for v in (second, third)] == [("1", "1"), ("2", "0")]


def test_a_minor_of_a_major_that_does_not_exist_is_refused(proton, env_template):
    with pytest.raises(ClientError) as e:
        proton.create_environment_template_version(templateName="queue-env", majorVersion="3",
                                                   source=env_template)
    assert error_of(e)[0] == "ValidationException"


def test_a_version_of_a_missing_template_is_not_found(proton, env_template):
    with pytest.raises(ClientError) as e:
        proton.create_environment_template_version(templateName="ghost", source=env_template)
    assert error_of(e)[:1] == ("ResourceNotFoundException",)


def test_publishing_makes_the_version_recommended(proton, env_template):
    proton.create_environment_template_version(templateName="queue-env", source=env_template)
    wait_registered(proton, "queue-env", "1", "0")
    v = proton.update_environment_template_version(templateName="queue-env", majorVersion="1",
                                                   minorVersion="0", status="PUBLISHED")[
        "environmentTemplateVersion"]
    assert (v["status"], v["recommendedMinorVersion"]) == ("PUBLISHED", "0")
    assert proton.get_environment_template(name="queue-env")["environmentTemplate"]["recommendedVersion"] == "1"


def test_a_version_still_registering_cannot_be_published(proton, server):
    proton.create_environment_template(name="queue-env")
    src = {"s3": {"bucket": "templates", "key": "missing.tar.gz"}}
    proton.create_environment_template_version(templateName="queue-env", source=src)
    v = wait_registered(proton, "queue-env", "1", "0")
    assert v["status"] == "REGISTRATION_FAILED"
    with pytest.raises(ClientError) as e:
        proton.update_environment_template_version(templateName="queue-env", majorVersion="1",
                                                   minorVersion="0", status="PUBLISHED")
    assert error_of(e)[0] == "ValidationException"


def test_a_missing_bundle_fails_registration_with_the_reason(proton):
    proton.create_environment_template(name="queue-env")
    src = {"s3": {"bucket": "templates", "key": "nowhere/v1.tar.gz"}}
    proton.create_environment_template_version(templateName="queue-env", source=src)
    v = wait_registered(proton, "queue-env", "1", "0")
    assert (v["status"], v["statusMessage"]) == (
        "REGISTRATION_FAILED", "the object s3://templates/nowhere/v1.tar.gz was not found")


@pytest.mark.parametrize("case, files, extra, message", [
    ("no schema", {"infrastructure/manifest.yaml": b"x"}, None, "the bundle has no schema/schema.yaml"),
    ("manifest names a missing file",
     {**fixture_files("queue-env"), "infrastructure/manifest.yaml":
      b"infrastructure:\n  templates:\n    - file: missing.yaml\n      rendering_engine: jinja\n      template_language: cloudformation\n"},
     None, "infrastructure/manifest.yaml names missing.yaml, which is not in the bundle"),
    ("service schema in an environment bundle", fixture_files("worker-svc"), None,
     "schema/schema.yaml has no environment_input_type; it is not an environment template schema"),
])
def test_a_wrong_bundle_fails_registration_with_a_precise_message(proton, server, case, files, extra, message):
    proton.create_environment_template(name="queue-env")
    src = put(server, "bad.tar.gz", tar_gz(files, extra))
    proton.create_environment_template_version(templateName="queue-env", source=src)
    v = wait_registered(proton, "queue-env", "1", "0")
    assert (v["status"], v["statusMessage"]) == ("REGISTRATION_FAILED", message)


def _traversal(tar):
    info = tarfile.TarInfo("../../escape.txt")
    info.size = 4
    tar.addfile(info, io.BytesIO(b"evil"))


def _symlink(tar):
    info = tarfile.TarInfo("schema/link.yaml")
    info.type = tarfile.SYMTYPE
    info.linkname = "/etc/passwd"
    tar.addfile(info)


@pytest.mark.parametrize("extra, message", [
    (_traversal, "the bundle entry '../../escape.txt' leaves the bundle ('..')"),
    (_symlink, "the bundle entry 'schema/link.yaml' is a link; links are not allowed in template bundles"),
])
def test_a_malicious_bundle_is_refused_and_writes_nothing(proton, server, extra, message):
    proton.create_environment_template(name="queue-env")
    src = put(server, "evil.tar.gz", tar_gz(fixture_files("queue-env"), extra))
    before = sorted(p for p in server.data_dir.parent.rglob("*"))
    proton.create_environment_template_version(templateName="queue-env", source=src)
    v = wait_registered(proton, "queue-env", "1", "0")
    assert (v["status"], v["statusMessage"]) == ("REGISTRATION_FAILED", message)
    after = sorted(p for p in server.data_dir.parent.rglob("*"))
    assert [p for p in after if p not in before and "baryon.db" not in p.name] == []


def test_a_decompression_bomb_is_refused(proton, server):
    proton.create_environment_template(name="queue-env")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in fixture_files("queue-env").items():
            info = tarfile.TarInfo(name); info.size = len(data); tar.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo("infrastructure/zeros.bin")
        info.size = 101 * 1024 * 1024
        tar.addfile(info, io.BytesIO(bytes(info.size)))
    src = put(server, "bomb.tar.gz", buf.getvalue())
    assert len(buf.getvalue()) < 1024 * 1024  # small on the wire, huge unpacked
    proton.create_environment_template_version(templateName="queue-env", source=src)
    v = wait_registered(proton, "queue-env", "1", "0")
    assert v["status"] == "REGISTRATION_FAILED"
    assert v["statusMessage"] == "the bundle expands to more than 104857600 bytes"


def test_the_same_client_token_returns_the_same_version(proton, env_template):
    a = proton.create_environment_template_version(templateName="queue-env", source=env_template,
                                                   clientToken="tok-1")["environmentTemplateVersion"]
    b = proton.create_environment_template_version(templateName="queue-env", source=env_template,
                                                   clientToken="tok-1")["environmentTemplateVersion"]
    assert (a["majorVersion"], a["minorVersion"]) == (b["majorVersion"], b["minorVersion"])
    assert len(proton.list_environment_template_versions(templateName="queue-env")["templateVersions"]) == 1


def test_a_client_token_is_honoured_for_eight_hours_only(server, proton, env_template):
    proton.create_environment_template_version(templateName="queue-env", source=env_template,
                                               clientToken="tok-1")
    # Nine hours pass for the token (the clock of its record is moved back).
    server.sql("UPDATE idempotency SET created_at = created_at - 32400000 WHERE token = 'tok-1'")
    again = proton.create_environment_template_version(templateName="queue-env", source=env_template,
                                                       clientToken="tok-1")["environmentTemplateVersion"]
    assert (again["majorVersion"], again["minorVersion"]) == ("2", "0")  # a new version, not the old one


def test_a_client_token_reused_with_other_parameters_is_a_mismatch(proton, env_template):
    proton.create_environment_template_version(templateName="queue-env", source=env_template,
                                               clientToken="tok-1", description="a")
    with pytest.raises(ClientError) as e:
        proton.create_environment_template_version(templateName="queue-env", source=env_template,
                                                   clientToken="tok-1", description="b")
    code, message, _ = error_of(e)
    assert code == "ValidationException" and message.startswith("IdempotentParameterMismatch")


def test_list_versions_in_version_order_and_by_major(proton, env_template):
    for major in (None, "1", None, "1", "2"):
        kw = {"majorVersion": major} if major else {}
        proton.create_environment_template_version(templateName="queue-env", source=env_template, **kw)
    all_ = proton.list_environment_template_versions(templateName="queue-env")["templateVersions"]
    assert [(v["majorVersion"], v["minorVersion"]) for v in all_] == [
        ("1", "0"), ("1", "1"), ("1", "2"), ("2", "0"), ("2", "1")]
    ones = proton.list_environment_template_versions(templateName="queue-env", majorVersion="2")[
        "templateVersions"]
    assert [v["minorVersion"] for v in ones] == ["0", "1"]


def test_the_recommended_version_cannot_be_deleted_while_others_exist(proton, env_template):
    for major in (None, "1"):
        kw = {"majorVersion": major} if major else {}
        proton.create_environment_template_version(templateName="queue-env", source=env_template, **kw)
    wait_registered(proton, "queue-env", "1", "0")
    wait_registered(proton, "queue-env", "1", "1")
    proton.update_environment_template_version(templateName="queue-env", majorVersion="1",
                                               minorVersion="1", status="PUBLISHED")
    with pytest.raises(ClientError) as e:
        proton.delete_environment_template_version(templateName="queue-env", majorVersion="1",
                                                   minorVersion="1")
    assert error_of(e)[0] == "ConflictException"
    deleted = proton.delete_environment_template_version(templateName="queue-env", majorVersion="1",
                                                         minorVersion="0")["environmentTemplateVersion"]
    assert deleted["minorVersion"] == "0"
    assert "environmentTemplateVersion" not in proton.delete_environment_template_version(
        templateName="queue-env", majorVersion="1", minorVersion="0")


def test_a_template_with_versions_cannot_be_deleted(proton, env_template):
    proton.create_environment_template_version(templateName="queue-env", source=env_template)
    with pytest.raises(ClientError) as e:
        proton.delete_environment_template(name="queue-env")
    assert error_of(e)[0] == "ConflictException"


def test_a_service_template_version_registers_with_compatible_environments(proton, server, env_template):
    proton.create_environment_template_version(templateName="queue-env", source=env_template)
    proton.create_service_template(name="worker-svc")
    src = put(server, "worker-svc/v1.tar.gz", tar_gz(fixture_files("worker-svc")))
    v = proton.create_service_template_version(
        templateName="worker-svc", source=src,
        compatibleEnvironmentTemplates=[{"templateName": "queue-env", "majorVersion": "1"}])[
        "serviceTemplateVersion"]
    assert v["compatibleEnvironmentTemplates"] == [{"templateName": "queue-env", "majorVersion": "1"}]
    done = wait_registered(proton, "worker-svc", "1", "0", service=True)
    assert done["status"] == "DRAFT", done.get("statusMessage")


def test_a_service_version_compatible_with_a_missing_environment_major_is_refused(proton, server, env_template):
    proton.create_environment_template_version(templateName="queue-env", source=env_template)
    proton.create_service_template(name="worker-svc")
    src = put(server, "worker-svc/v1.tar.gz", tar_gz(fixture_files("worker-svc")))
    with pytest.raises(ClientError) as e:
        proton.create_service_template_version(
            templateName="worker-svc", source=src,
            compatibleEnvironmentTemplates=[{"templateName": "queue-env", "majorVersion": "7"}])
    assert error_of(e) == ("ValidationException",
                           "The environment template queue-env has no major version 7.", 400)


def test_a_registration_interrupted_by_a_crash_finishes_after_a_restart(server, proton, env_template):
    proton.create_environment_template_version(templateName="queue-env", source=env_template)
    assert wait_registered(proton, "queue-env", "1", "0")["status"] == "DRAFT"
    server.stop()
    # What a crash mid-registration leaves behind: the version still in progress.
    server.sql("UPDATE resources SET status = 'REGISTRATION_IN_PROGRESS', "
               "doc = replace(replace(doc, '\"status\":\"DRAFT\"', '\"status\":\"REGISTRATION_IN_PROGRESS\"'), "
               "'\"schema\":', '\"oldSchema\":') WHERE kind = 'environment_template_version'")
    from conftest import Server
    again = Server(server.data_dir, server.database)
    try:
        v = wait_registered(again.client(), "queue-env", "1", "0")
        assert v["status"] == "DRAFT"
        assert "environment_input_type" in v["schema"]
    finally:
        again.stop()
