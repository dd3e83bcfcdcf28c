"""SQL statements per governance page must not grow with the number of incidents
(counts, not times: exact on any machine)."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.helpers import statements_at_two_volumes


@pytest.mark.parametrize("url", ["/governance", "/governance?months=3&branch=NORTH"])
def test_statements_per_request_do_not_grow_with_volume(app: Flask, sign_in, url):
    client = sign_in("manager")
    few, many = statements_at_two_volumes(app, client, url)
    assert many == few, (few, many)
