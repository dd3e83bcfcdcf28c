"""While a file is written, Python's cycle collector is paused (exports/service.py),
and it is on again after the file, or when the download stops."""

from __future__ import annotations

import gc

import pytest

from exports.service import cycle_collection_paused
from tests.exports.conftest import JUNE


@pytest.fixture
def collector_on():
    """The collector on before the test, and on again after it whatever happens."""
    gc.enable()
    yield
    gc.enable()


def _download(client):
    return client.get(f"/exports/incidents.csv?{JUNE}", buffered=False)


def test_the_collector_is_paused_while_the_file_is_written(collector_on, sign_in, two_branches):
    response = _download(sign_in("manager"))
    chunks = iter(response.response)
    next(chunks)
    assert not gc.isenabled()
    response.close()


def test_the_collector_is_on_again_after_the_file(collector_on, sign_in, two_branches):
    response = _download(sign_in("manager"))
    assert b"".join(response.response).count(b"\r\n") == 3
    response.close()
    assert gc.isenabled()


def test_the_collector_is_on_again_when_the_download_stops(collector_on, sign_in, two_branches):
    response = _download(sign_in("manager"))
    next(iter(response.response))
    response.close()
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off(collector_on):
    gc.disable()
    with cycle_collection_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()
