"""Real `terrapro` processes for crash tests: start, wait until healthy, SIGKILL, restart."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BotProcess:
    """One `python -m bot <args>` with its own environment; output goes to a log file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path, health_url: str | None = None) -> None:
        self.args = args
        self.env = {**os.environ, **env}
        self.log = log
        self.health_url = health_url
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 90.0) -> BotProcess:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "bot", *self.args], cwd=ROOT, env=self.env,
                                         stdout=out, stderr=subprocess.STDOUT)
        if self.health_url:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"process exited ({self.proc.returncode}): {self.log.read_text()[-2000:]}")
                try:
                    if httpx.get(self.health_url, timeout=1).status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            raise TimeoutError(f"not healthy: {self.log.read_text()[-2000:]}")
        return self

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, whatever was in memory is gone."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
