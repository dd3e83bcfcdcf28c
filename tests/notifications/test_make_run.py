"""`make run`'s last step (scripts/run.sh): the web server and the worker side by
side, both stopped by Ctrl-C (SIGINT to the terminal's process group)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
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


# Ctrl-C as a terminal's shell has it. A command started in the background by a
# non-interactive shell (`pytest … &`, as scripts/run-tests.sh runs the PostgreSQL
# step) starts with SIGINT ignored, everything it starts inherits that, and bash
# cannot undo it: run.sh could then not be stopped by SIGINT at all. So SIGINT is
# put back to its default before bash starts (without preexec_fn, unsafe with threads).
AS_IN_A_TERMINAL = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)


def _children(pid: int) -> list[str]:
    """The command lines of `pid`'s child processes (Linux /proc)."""
    ids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [Path(f"/proc/{child}/cmdline").read_text().replace("\0", " ") for child in ids]


def test_ctrl_c_stops_the_web_server_and_the_worker(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    env = os.environ | {
        "CANDOUR_ENV": "development",
        "DATABASE_URL": database_url,
        "QUEUE_URL": f"sqlite:///{tmp_path / 'queue.db'}",
        "PORT": str(port),
    }
    run = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", AS_IN_A_TERMINAL, BASH, "scripts/run.sh"],
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
        run.wait(20)
        deadline = time.monotonic() + 10
        while _group_alive(run.pid):
            assert time.monotonic() < deadline, "something is still running after Ctrl-C"
            time.sleep(0.1)
    finally:
        if _group_alive(run.pid):
            os.killpg(run.pid, signal.SIGKILL)
        run.wait()
