"""`terrapro serve`: run the webhook app with uvicorn."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any


def register(subparsers: Any, make_web_app: Callable[[str], Any]) -> None:
    parser = subparsers.add_parser("serve", help="Lancer le serveur des webhooks (WhatsApp, Telegram).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.set_defaults(run=lambda args: serve(args, make_web_app))


def serve(args: argparse.Namespace, make_web_app: Callable[[str], Any]) -> int:
    import uvicorn

    from bot.observability.heap import freeze_startup_heap

    try:
        app = make_web_app(args.host)
    except ValueError as exc:
        # Configuration problems (e.g. no WhatsApp app secret): refuse to start.
        print(f"terrapro serve : {exc}", file=sys.stderr)
        return 2
    freeze_startup_heap()  # the app is built: catalogue, NLU model, compiled SQL
    # No access log: query strings carry the verify token.
    uvicorn.run(app, host=args.host, port=args.port, access_log=False, proxy_headers=True)
    return 0
