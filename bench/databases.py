"""The bench's database and app: emptied first on PostgreSQL, then the app on it with
fast password hashing and no sign-in limit (the benches sign in many times)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import create_engine, text

from app import create_app


def emptied(url: str) -> None:
    """A PostgreSQL database with nothing in it (its public schema made again)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def bench_app(url: str) -> Flask:
    return create_app(
        {
            "ENV_NAME": "testing",
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "PASSWORD_HASH_FAST": True,
            "LOGIN_MAX_FAILURES": 1000,
        }
    )
