"""`flask --app app push-keys` and the checks of the push settings at start."""

from __future__ import annotations

import pytest
from flask import Flask
from py_vapid import Vapid02

from app import create_app
from notifications.push import keys


def _lines(output: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in output.splitlines() if "=" in line)


def test_push_keys_prints_a_matching_pair_and_a_subject_for_the_environment(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["push-keys", "--subject", "mailto:it@care.example"])

    assert result.exit_code == 0, result.output
    found = _lines(result.stdout)
    assert set(found) == {"VAPID_PUBLIC_KEY", "VAPID_PRIVATE_KEY", "VAPID_SUBJECT"}
    assert keys.public_key_of(found["VAPID_PRIVATE_KEY"]) == found["VAPID_PUBLIC_KEY"]
    assert len(keys.b64url_decode(found["VAPID_PUBLIC_KEY"])) == 65
    assert found["VAPID_SUBJECT"] == "mailto:it@care.example"
    # py_vapid (what pywebpush signs with) reads the private key as printed.
    signer = Vapid02.from_string(private_key=found["VAPID_PRIVATE_KEY"])
    assert signer.public_key is not None


def test_each_run_makes_a_new_pair(app: Flask) -> None:
    runner = app.test_cli_runner()
    first, second = (_lines(runner.invoke(args=["push-keys"]).stdout) for _ in range(2))
    assert first["VAPID_PRIVATE_KEY"] != second["VAPID_PRIVATE_KEY"]


def test_a_subject_that_is_not_an_address_is_refused(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["push-keys", "--subject", "it@care.example"])

    assert result.exit_code != 0
    assert "VAPID_PRIVATE_KEY" not in result.stdout


def test_the_subject_defaults_to_the_public_address(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://candour.example.org")
    result = app.test_cli_runner().invoke(args=["push-keys"])

    assert _lines(result.stdout)["VAPID_SUBJECT"] == "https://candour.example.org"


def _config(**settings: str) -> dict[str, str]:
    return {"VAPID_PUBLIC_KEY": "", "VAPID_PRIVATE_KEY": "", "VAPID_SUBJECT": "", **settings}


def test_push_settings_are_checked_at_start() -> None:
    public, private = keys.new_key_pair()
    other, _ = keys.new_key_pair()
    good = _config(
        VAPID_PUBLIC_KEY=public, VAPID_PRIVATE_KEY=private, VAPID_SUBJECT="mailto:a@b.example"
    )

    assert keys.problems(_config()) == []  # push off: nothing to say
    assert keys.problems(good) == []
    assert "both" in keys.problems(_config(VAPID_PUBLIC_KEY=public))[0]
    assert "does not belong" in keys.problems({**good, "VAPID_PUBLIC_KEY": other})[0]
    assert "not a key" in keys.problems({**good, "VAPID_PRIVATE_KEY": "nonsense!"})[0]
    assert "VAPID_SUBJECT" in keys.problems({**good, "VAPID_SUBJECT": ""})[0]


def test_a_mismatched_pair_is_logged_when_the_app_starts(caplog: pytest.LogCaptureFixture) -> None:
    public, _ = keys.new_key_pair()
    _, private = keys.new_key_pair()
    with caplog.at_level("WARNING"):
        create_app(
            {
                "ENV_NAME": "testing",
                "SECRET_KEY": "x",
                "VAPID_PUBLIC_KEY": public,
                "VAPID_PRIVATE_KEY": private,
                "VAPID_SUBJECT": "mailto:a@b.example",
            }
        )
    assert "VAPID_PUBLIC_KEY does not belong to VAPID_PRIVATE_KEY" in caplog.text
