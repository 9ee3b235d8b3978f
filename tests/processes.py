"""Real processes for fault, multi-process and contract tests: the service under uvicorn
(one or several workers) and `convention-api` commands, configured only through their
environment, on 127.0.0.1, each bounded in time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import httpx

from app.bootstrap import build_token_service
from app.domain.auth import SCOPES
from app.settings import Settings
from tests.smtp import free_port

REPO = Path(__file__).resolve().parents[1]
_CLI = Path(sys.executable).with_name("convention-api")


def service_env(database_url: str, key_file: Path, **settings: object) -> dict[str, str]:
    """The environment of a service or CLI process: the parent's PATH and nothing of its
    settings but these (upper-cased setting names, as in `.env.example`)."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    values: dict[str, object] = {
        "environment": "test",
        "database_url": database_url,
        "jwt_private_key_file": key_file,
        "auto_migrate": "false",
        "seed_on_start": "true",
        "run_scheduler": "false",
        "log_level": "WARNING",
        "database_pool_size": 4,
        **settings,
    }
    env.update({k.upper(): str(v) for k, v in values.items()})
    env["PYTHONPATH"] = str(REPO)
    return env


def cli_command(*args: str) -> list[str]:
    """`convention-api ARGS` (the installed console script, else the module)."""
    if _CLI.exists():
        return [str(_CLI), *args]
    return [sys.executable, "-m", "app.cli", *args]


def run_cli(*args: str, env: Mapping[str, str], cwd: Path, timeout: float = 120,
            check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cli_command(*args), env=dict(env), cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(
            f"convention-api {' '.join(args)} exited {done.returncode}\n"
            f"{done.stdout}\n{done.stderr[-3000:]}"
        )
    return done


def start_cli(*args: str, env: Mapping[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(cli_command(*args), env=dict(env), cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def bearer_token(key_file: Path, *, scopes: list[str] | None = None,
                 lifetime_seconds: int = 3600, subject: str = "process-test") -> str:
    """A token the processes accept: signed with their key, every scope by default."""
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, environment="test", jwt_private_key_file=key_file,
        jwt_lifetime_seconds=lifetime_seconds,
    )
    return build_token_service(settings).issue(
        subject=subject, scopes=list(scopes or SCOPES), client_id=subject, now=datetime.now(UTC)
    )


class UvicornProcess:
    """`convention-api serve` (uvicorn serving `app.main:create_app`, app/cli.py) as a
    child process on a free port; `options` are the command's."""

    def __init__(self, env: Mapping[str, str], log_path: Path, *, workers: int = 1,
                 options: tuple[str, ...] = ()):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = log_path.open("w")
        command = cli_command("serve", "--host", "127.0.0.1", "--port", str(self.port),
                              "--log-level", "warning", "--workers", str(workers), *options)
        self.process = subprocess.Popen(command, env=dict(env), cwd=log_path.parent,
                                        stdout=self._log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if httpx.get(f"{self.base_url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"uvicorn did not get ready:\n{self.log_tail()}")

    def log_tail(self, lines: int = 60) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM to the process group (the workers too), SIGKILL if it lingers."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)
        self._log.close()

    def __enter__(self) -> UvicornProcess:
        self.wait_ready()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
