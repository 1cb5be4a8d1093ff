from __future__ import annotations

import argparse

import pytest
import uvicorn

from bot.observability import heap
from bot.web import cli, create_app


def _parser(make_app):
    parser = argparse.ArgumentParser(prog="terrapro")
    cli.register(parser.add_subparsers(dest="command"), make_app)
    return parser


def test_serve_runs_the_app_with_uvicorn(monkeypatch):
    app = create_app([])
    seen = {}
    steps = []
    monkeypatch.setattr(heap, "freeze_startup_heap", lambda: steps.append("freeze"))
    monkeypatch.setattr(uvicorn, "run", lambda a, **kw: steps.append("run") or seen.update(app=a, **kw))
    hosts = []
    args = _parser(lambda host: hosts.append(host) or app).parse_args(["serve", "--host", "0.0.0.0", "--port", "8123"])
    assert args.run(args) == 0
    assert seen["app"] is app
    assert hosts == ["0.0.0.0"]  # the app knows where it listens (insecure-local dev mode)
    assert (seen["host"], seen["port"], seen["access_log"]) == ("0.0.0.0", 8123, False)
    assert steps == ["freeze", "run"]  # the built app is left out of the collector's full passes


def test_serve_refuses_to_start_on_configuration_error(monkeypatch, capsys):
    def make_app(host):
        raise ValueError("WhatsApp : réglage(s) manquant(s) : TERRAPRO_WHATSAPP_APP_SECRET")

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("must not start"))
    args = _parser(make_app).parse_args(["serve"])
    assert args.run(args) == 2
    assert "TERRAPRO_WHATSAPP_APP_SECRET" in capsys.readouterr().err
