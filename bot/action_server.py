"""`terrapro actions-server`: the TerraPro actions served to a Rasa server.

rasa-sdk's HTTP endpoint (``rasa_sdk.endpoint``) around the executor the
composition root builds, so the actions get their services from ``bot.app``
like in the embedded core (no NLU model is loaded). One process: Sanic's worker
processes would each have to rebuild the executor.
"""
from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import App

DEFAULT_PORT = 5055  # what a Rasa server's endpoints.yml expects by default


def register(subparsers: argparse._SubParsersAction, make_app: Callable[[], App]) -> None:
    parser = subparsers.add_parser("actions-server", help="les actions servies à un serveur Rasa (rasa-sdk)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.set_defaults(run=lambda args: serve(make_app(), args.host, args.port))


def serve(app: App, host: str, port: int) -> int:
    from rasa_sdk.endpoint import create_app

    server = create_app(app.action_executor, cors_origins=[])
    server.run(host=host, port=port, single_process=True, access_log=False, motd=False)
    return 0
