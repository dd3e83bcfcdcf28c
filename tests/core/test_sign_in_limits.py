"""Sign-in limits: growing waits per account and per address, never a lock the
right password cannot pass, keyed on the address the trusted proxy saw."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from app import create_app
from core.dates import utcnow
from core.models import LoginFailure
from extensions import db
from tests.conftest import PASSWORD, Client, _test_config

WAIT_ACCOUNT = "too many failed attempts to sign in to this account"
WAIT_NETWORK = "too many failed sign-ins from this network"


def _age_failures(app: Flask, by: timedelta) -> None:
    """As if the failures so far happened `by` earlier (the clock moving on)."""
    with app.app_context():
        for failure in db.session.scalars(db.select(LoginFailure)):
            failure.at = failure.at - by
        db.session.commit()


def _fail(c: Client, email: str, times: int) -> None:
    for _ in range(times):
        assert c.sign_in(email, "wrong-password").status_code == 422


def _text(response: Any) -> str:
    return " ".join(response.get_data(as_text=True).split())


def test_after_five_failures_the_account_must_wait_30_seconds(client: Client, seeded):
    _fail(client, "carer1@example.com", 5)
    response = client.sign_in("carer1@example.com")  # even the right password waits
    assert response.status_code == 429
    assert response.headers["Retry-After"] in {"29", "30"}
    page = _text(response)
    assert WAIT_ACCOUNT in page.lower()
    assert "wait 30 seconds and try again" in page or "wait 29 seconds and try again" in page


def test_the_owner_signs_in_with_the_right_password_after_the_wait(
    app: Flask, client: Client, seeded
):
    _fail(client, "carer1@example.com", 5)
    assert client.sign_in("carer1@example.com").status_code == 429
    _age_failures(app, timedelta(seconds=31))
    assert client.sign_in("carer1@example.com").status_code == 302


def test_each_further_failure_doubles_the_wait(app: Flask, client: Client, seeded):
    _fail(client, "carer1@example.com", 5)
    for expected in (60, 120, 240):
        _age_failures(app, timedelta(seconds=expected // 2 + 1))
        assert client.sign_in("carer1@example.com", "wrong").status_code == 422
        refused = client.sign_in("carer1@example.com")
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) in {expected - 1, expected}


def test_the_wait_never_exceeds_the_longest(app: Flask, client: Client, seeded):
    with app.app_context():
        for n in range(40):
            db.session.add(
                LoginFailure(
                    email="carer1@example.com",
                    address="192.0.2.1",
                    at=utcnow() - timedelta(seconds=40 - n),
                )
            )
        db.session.commit()
    refused = client.sign_in("carer1@example.com")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) <= 600
    assert "wait 10 minutes and try again" in _text(refused)
    _age_failures(app, timedelta(minutes=10))
    assert client.sign_in("carer1@example.com").status_code == 302


def test_an_attempt_during_the_wait_is_not_checked_and_does_not_count(
    app: Flask, client: Client, seeded
):
    _fail(client, "carer1@example.com", 5)
    for _ in range(3):
        assert client.sign_in("carer1@example.com", "wrong").status_code == 429
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(LoginFailure.id))) == 5


def test_a_successful_sign_in_starts_the_count_again(app: Flask, client: Client, seeded):
    _fail(client, "carer1@example.com", 4)
    assert client.sign_in("carer1@example.com").status_code == 302
    other = Client(app.test_client())
    _fail(other, "carer1@example.com", 1)
    assert other.sign_in("carer1@example.com").status_code == 302


def test_failures_on_one_account_do_not_hold_up_another_from_the_same_office(
    app: Flask, client: Client, seeded
):
    _fail(client, "carer1@example.com", 5)
    colleague = Client(app.test_client())  # the same address (one office NAT)
    assert colleague.sign_in("carer2@example.com").status_code == 302


def test_a_few_typos_from_one_office_hold_nobody_up(app: Flask, client: Client, seeded):
    for n in range(10):
        client.sign_in(f"typo{n}@example.com", "nope")
    assert Client(app.test_client()).sign_in("carer3@example.com").status_code == 302


@pytest.fixture
def low_address_limit(app: Flask, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setitem(app.config, "LOGIN_ADDRESS_MAX_FAILURES", 8)
    return 8


def test_many_accounts_sprayed_from_one_address_are_limited(
    app: Flask, client: Client, seeded, low_address_limit: int
):
    for n in range(low_address_limit):
        assert client.sign_in(f"sprayed{n}@example.com", "Password1").status_code == 422
    refused = client.sign_in("carer3@example.com")
    assert refused.status_code == 429
    assert WAIT_NETWORK in _text(refused).lower()
    elsewhere = Client(app.test_client())
    elsewhere.http.environ_base["REMOTE_ADDR"] = "10.9.9.9"
    assert elsewhere.sign_in("carer3@example.com").status_code == 302


@pytest.fixture
def behind_one_proxy(app: Flask, database_url: str, seeded) -> Iterator[Flask]:
    """The app as production runs it behind nginx: PROXY_HOPS=1, same database."""
    proxied = create_app({**_test_config(database_url), "PROXY_HOPS": 1})
    proxied.config["LOGIN_ADDRESS_MAX_FAILURES"] = 8
    yield proxied
    with proxied.app_context():
        db.session.remove()
        db.engine.dispose()


def _spray(app: Flask, count: int, proxy_saw: str, proxy: str = "10.0.0.1") -> Client:
    """`count` failed sign-ins to different accounts, each with a different
    spoofed X-Forwarded-For the proxy appended the real address to."""
    c = Client(app.test_client())
    c.http.environ_base["REMOTE_ADDR"] = proxy
    for n in range(count):
        c.http.environ_base["HTTP_X_FORWARDED_FOR"] = f"203.0.113.{n}, {proxy_saw}"
        assert c.sign_in(f"sprayed{n}@example.com", "Password1").status_code == 422
    c.http.environ_base["HTTP_X_FORWARDED_FOR"] = f"198.18.0.99, {proxy_saw}"
    return c


def test_behind_a_proxy_the_address_the_proxy_saw_is_limited(behind_one_proxy: Flask):
    c = _spray(behind_one_proxy, 8, proxy_saw="198.51.100.7")
    assert c.sign_in("carer3@example.com").status_code == 429
    with behind_one_proxy.app_context():
        addresses = set(db.session.scalars(db.select(LoginFailure.address)))
    assert addresses == {"198.51.100.7"}


def test_behind_a_proxy_another_client_is_not_limited(behind_one_proxy: Flask):
    _spray(behind_one_proxy, 8, proxy_saw="198.51.100.7")
    other = Client(behind_one_proxy.test_client())
    other.http.environ_base["REMOTE_ADDR"] = "10.0.0.1"
    other.http.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.8"
    assert other.sign_in("carer3@example.com", PASSWORD).status_code == 302


def test_without_a_proxy_a_spoofed_forwarded_for_changes_nothing(
    app: Flask, seeded, low_address_limit: int
):
    c = Client(app.test_client())
    for n in range(low_address_limit):
        c.http.environ_base["HTTP_X_FORWARDED_FOR"] = f"203.0.113.{n}"
        assert c.sign_in(f"sprayed{n}@example.com", "Password1").status_code == 422
    c.http.environ_base["HTTP_X_FORWARDED_FOR"] = "198.18.0.99"
    assert c.sign_in("carer3@example.com").status_code == 429
    with app.app_context():
        addresses = set(db.session.scalars(db.select(LoginFailure.address)))
    assert addresses == {"127.0.0.1"}
