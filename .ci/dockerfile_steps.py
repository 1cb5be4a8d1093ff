"""Replay the Dockerfile's build steps without a Docker engine.

A clean venv stands for the python:3.11 base image and a temporary directory for
WORKDIR: each COPY copies from the repository, each ENV is set, each RUN runs
with the venv first on PATH (WORKDIR's path rewritten to the directory). Then
the CMD's executable must exist and the image's command line must answer.
Usage: python .ci/dockerfile_steps.py [Dockerfile]
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", dockerfile.read_text())
    steps = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            steps.append((keyword.upper(), rest.strip()))
    return steps


def main() -> int:
    dockerfile = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "Dockerfile"
    with tempfile.TemporaryDirectory(prefix="terrapro-image-") as tmp:
        venv, app = Path(tmp) / "venv", Path(tmp) / "app"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}", "VIRTUAL_ENV": str(venv)}
        env.pop("PYTHONPATH", None)
        workdir = None
        cmd: list[str] = []
        for keyword, rest in instructions(dockerfile):
            print(f"step: {keyword} {rest}", flush=True)
            if keyword == "WORKDIR":
                workdir = rest
                app.mkdir(parents=True, exist_ok=True)
            elif keyword == "ENV":
                for assignment in shlex.split(rest):
                    name, _, value = assignment.partition("=")
                    env[name] = value.replace(workdir, str(app)) if workdir else value
            elif keyword == "COPY":
                *sources, target = shlex.split(rest)
                for source in sources:
                    origin, dest = ROOT / source, app / target
                    if origin.is_dir():
                        shutil.copytree(origin, dest if target != "./" else app / source, dirs_exist_ok=True,
                                        ignore=shutil.ignore_patterns("__pycache__"))
                    else:
                        shutil.copy2(origin, dest if not target.endswith("/") else dest / origin.name)
            elif keyword == "RUN":
                command = rest.replace(workdir, str(app)) if workdir else rest
                subprocess.run(["bash", "-c", command], cwd=app, env=env, check=True)
            elif keyword == "CMD":
                import json

                cmd = json.loads(rest)
        executable = venv / "bin" / cmd[0]
        if not executable.exists():
            print(f"CMD executable missing in the image: {cmd[0]}", file=sys.stderr)
            return 1
        data = Path(tmp) / "data"
        env["TERRAPRO_DATA_DIR"] = str(data)
        for check in (["db", "upgrade"], ["broadcast", "list"], ["serve", "--help"]):
            subprocess.run([str(executable), *check], cwd=app, env=env, check=True, stdout=subprocess.DEVNULL)
        print("dockerfile steps: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
