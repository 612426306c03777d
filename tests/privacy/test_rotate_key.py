"""``taizhang rotate-key``: the working data re-encrypted with a new key, the old key retired."""

from __future__ import annotations

import shutil

import pytest

from taizhang import audit, cli, keys, sealed, stage_cache
from tests.flows.helpers import PERIODS, snapshot


@pytest.fixture
def copied_run(sensitive_run, tmp_path, monkeypatch):
    """A copy of the two-half-year run and of the key it was sealed with."""
    out = tmp_path / "out"
    shutil.copytree(sensitive_run["out"], out)
    key_file = tmp_path / "keys" / "key"
    keys.write_key_file(key_file, keys.load().material)
    monkeypatch.setenv(keys.KEY_FILE_ENV, str(key_file))
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / ".prefect"))
    monkeypatch.delenv(stage_cache.CACHE_DIR_ENV, raising=False)
    return out, key_file


def _sealed_under(out):
    return [p for p in out.rglob("*") if p.is_file() and sealed.is_sealed(p)]


def test_rotation_reseals_every_file_and_retires_the_old_key(copied_run, capsys):
    out, key_file = copied_run
    old = keys.load()
    before = snapshot(out / PERIODS[-1])

    assert cli.main(["rotate-key", "--out", str(out)]) == 0
    new = keys.load()
    assert new.id != old.id and not key_file.with_name("key.new").exists()
    files = _sealed_under(out)
    assert files and {sealed.sealed_key_id(p) for p in files} == {new.id}
    assert snapshot(out / PERIODS[-1]) == before  # same plaintext under the new key
    entry = audit.read(out)[-1]
    assert entry["command"] == "rotate-key" and entry["outcome"] == "ok"
    assert (entry["old_key_id"], entry["new_key_id"], entry["files_resealed"]) == (old.id, new.id, len(files))

    # The old key opens nothing any more, and says so.
    keys.write_key_file(key_file, old.material)
    code = cli.main(
        ["rerun-county", "--county", "220102", "--period", PERIODS[-1], "--out", str(out), "--no-prefect"]
    )
    err = capsys.readouterr().err
    assert code == cli.EXIT_EXPECTED_ERROR
    assert "sealed with another key" in err and new.id in err and "Traceback" not in err
    rerun = audit.read(out)[-1]  # the refused county rerun is on record, with who tried it
    assert (rerun["command"], rerun["county"], rerun["outcome"]) == ("rerun-county", "220102", "key_wrong")
    assert rerun["user"] and rerun["key_id"] == old.id


def test_an_interrupted_rotation_is_finished_by_running_it_again(copied_run, monkeypatch):
    out, key_file = copied_run
    old = keys.load()
    files = sorted(_sealed_under(out))
    real = sealed.reseal
    done = []

    def crash_half_way(path, old_key, new_key):
        if len(done) == len(files) // 2:
            raise OSError(28, "No space left on device")
        done.append(path)
        return real(path, old_key, new_key)

    monkeypatch.setattr(sealed, "reseal", crash_half_way)
    assert cli.main(["rotate-key", "--out", str(out)]) == cli.EXIT_EXPECTED_ERROR
    assert keys.load().id == old.id  # the current key stays until every file is resealed
    pending = keys.read_key_file(key_file.with_name("key.new"))
    assert {sealed.sealed_key_id(p) for p in files} == {old.id, pending.id}

    monkeypatch.setattr(sealed, "reseal", real)
    assert cli.main(["rotate-key", "--out", str(out)]) == 0
    assert keys.load().id == pending.id
    assert {sealed.sealed_key_id(p) for p in files} == {pending.id}
    assert sealed.read_frame(out / PERIODS[0] / "state" / "registry.parquet").height > 0


def test_a_key_in_the_environment_is_rotated_to_the_next_one_given(copied_run, monkeypatch, capsys):
    out, _ = copied_run
    old = keys.load()
    monkeypatch.setenv(keys.KEY_ENV, keys.encode(old.material))
    assert cli.main(["rotate-key", "--out", str(out)]) == cli.EXIT_EXPECTED_ERROR
    assert keys.NEW_KEY_ENV in capsys.readouterr().err
    new_material = keys.generate()
    monkeypatch.setenv(keys.NEW_KEY_ENV, keys.encode(new_material))
    assert cli.main(["rotate-key", "--out", str(out)]) == 0
    assert "TAIZHANG_KEY" in capsys.readouterr().out
    monkeypatch.setenv(keys.KEY_ENV, keys.encode(new_material))
    assert sealed.read_frame(out / PERIODS[-1] / "state" / "std_records.parquet").height > 0
