"""`make run`'s last step (scripts/run.sh): the web server and the worker side by
side, both stopped by Ctrl-C (SIGINT to the terminal's process group)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from settings import ROOT
from tests.notifications.conftest import free_port

BASH = shutil.which("bash") or "/bin/bash"


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def _children(pid: int) -> list[str]:
    """The command lines of `pid`'s child processes (Linux /proc)."""
    ids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [Path(f"/proc/{child}/cmdline").read_text().replace("\0", " ") for child in ids]


def test_ctrl_c_stops_the_web_server_and_the_worker(
    database_url: str, clean_db: None, tmp_path: Path
) -> None:
    # clean_db: an empty database, not whatever this pytest worker's last test
    # left. Over that (in a full run: records, messages, escalations for its
    # every-minute jobs) the worker was still busy a minute after Ctrl-C.
    port = free_port()
    env = os.environ | {
        "CANDOUR_ENV": "development",
        "DATABASE_URL": database_url,
        "QUEUE_URL": f"sqlite:///{tmp_path / 'queue.db'}",
        "PORT": str(port),
    }
    run = subprocess.Popen(  # noqa: S603
        [BASH, "scripts/run.sh"],
        cwd=ROOT,
        env=env,
        start_new_session=True,  # its own process group, like a terminal's
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/healthz", timeout=2
                ) as answer:
                    assert answer.status == 200
                break
            except OSError:
                assert time.monotonic() < deadline, "the web server did not start"
                time.sleep(0.2)
        children = _children(run.pid)
        assert any(" worker" in line for line in children), children
        assert any(" run " in line for line in children), children

        os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C does
        # Generous: on a loaded machine (CI runs these beside the browser tests)
        # shutting down the server and the worker has taken over 20 s.
        run.wait(60)
        deadline = time.monotonic() + 10
        while _group_alive(run.pid):
            assert time.monotonic() < deadline, "something is still running after Ctrl-C"
            time.sleep(0.1)
    finally:
        if _group_alive(run.pid):
            os.killpg(run.pid, signal.SIGKILL)
        run.wait()
