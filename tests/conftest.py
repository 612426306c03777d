"""Session-wide test setup: the key that seals the working data, created on first use.

Every test (and every ``taizhang`` subprocess a test starts, through the
environment) uses one key file under pytest's temporary folder, so the tests
never read or write the user's own key.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def test_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    from taizhang import keys

    path = tmp_path_factory.getbasetemp() / "taizhang-key" / "key"
    saved = {name: os.environ.pop(name, None) for name in (keys.KEY_ENV, keys.NEW_KEY_ENV)}
    previous = os.environ.get(keys.KEY_FILE_ENV)
    os.environ[keys.KEY_FILE_ENV] = str(path)
    keys.load(create=True)
    yield
    if previous is None:
        os.environ.pop(keys.KEY_FILE_ENV, None)
    else:
        os.environ[keys.KEY_FILE_ENV] = previous
    for name, value in saved.items():
        if value is not None:
            os.environ[name] = value
