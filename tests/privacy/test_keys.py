"""Where the key comes from, and the key files that are refused."""

from __future__ import annotations

import stat

import pytest

from taizhang import cli, keys
from taizhang.errors import PipelineError


def test_first_use_creates_an_owner_only_key_file(tmp_path, monkeypatch):
    path = tmp_path / "config" / "taizhang" / "key"
    monkeypatch.setenv(keys.KEY_FILE_ENV, str(path))
    with pytest.raises(PipelineError):
        keys.load()
    key = keys.load(create=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert keys.load() == key  # the same key on every later use
    assert keys.encode(key.material) not in repr(key)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660])
def test_a_key_file_others_can_read_is_refused_with_the_fix(tmp_path, monkeypatch, capsys, mode):
    path = tmp_path / "key"
    keys.write_key_file(path, keys.generate())
    path.chmod(mode)
    monkeypatch.setenv(keys.KEY_FILE_ENV, str(path))
    with pytest.raises(PipelineError) as caught:
        keys.load()
    assert caught.value.code == "key_file_permissions"
    assert f"chmod 600 {path}" in caught.value.en


def test_the_environment_key_wins_and_a_malformed_one_is_named_not_shown(monkeypatch):
    material = keys.generate()
    monkeypatch.setenv(keys.KEY_ENV, keys.encode(material))
    assert keys.load().material == material
    monkeypatch.setenv(keys.KEY_ENV, "not-a-key")
    with pytest.raises(PipelineError) as caught:
        keys.load()
    assert caught.value.code == "key_malformed"
    assert "not-a-key" not in str(caught.value)


def test_the_command_line_refuses_an_open_key_file_with_exit_2(tmp_path, monkeypatch, capsys):
    path = tmp_path / "key"
    keys.write_key_file(path, keys.generate())
    path.chmod(0o644)
    monkeypatch.setenv(keys.KEY_FILE_ENV, str(path))
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / ".prefect"))
    (tmp_path / "extracts").mkdir()
    (tmp_path / "extracts" / "vaccination.csv").write_text("a\n1\n", encoding="utf-8")
    code = cli.main(
        ["validate", "--extracts", str(tmp_path / "extracts"), "--out", str(tmp_path / "out"), "--no-prefect"]
    )
    err = capsys.readouterr().err
    assert code == cli.EXIT_EXPECTED_ERROR
    assert "chmod 600" in err and "Traceback" not in err
