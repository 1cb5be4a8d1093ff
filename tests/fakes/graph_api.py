"""A fake WhatsApp Graph API on 127.0.0.1 (random port, background thread).

Records every POSTed message; can answer throttling for the next N calls or
a given error code for a given recipient.
"""
from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Recorded:
    path: str
    authorization: str
    body: dict[str, Any]
    at: float = 0.0  # time.monotonic() when it arrived


class FakeGraphAPI:
    def __init__(self, latency: float = 0.0) -> None:
        # Seconds each answer takes (a real platform is not instant): load benchmarks use 0.03.
        self.latency = latency
        self._lock = threading.Lock()
        self.messages: list[Recorded] = []
        self.refused: list[Recorded] = []
        self._throttles: deque[str] = deque()
        self._errors: dict[str, tuple[int, int]] = {}
        self._counter = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v21.0"

    def start(self) -> FakeGraphAPI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def throttle_next(self, n: int, how: str = "http429") -> None:
        """The next ``n`` calls are refused: "http429", "130429" or "131056"."""
        with self._lock:
            self._throttles.extend([how] * n)

    def fail_for(self, recipient: str, code: int, status: int = 400) -> None:
        with self._lock:
            self._errors[recipient] = (status, code)

    def bodies(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.body for r in self.messages]

    def _answer(self, path: str, auth: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        record = Recorded(path, auth, body, time.monotonic())
        with self._lock:
            if self._throttles:
                how = self._throttles.popleft()
                self.refused.append(record)
                if how == "http429":
                    return 429, _error(130429, "Rate limit hit")
                return 400, _error(int(how), "Rate limit hit")
            error = self._errors.get(str(body.get("to")))
            if error:
                self.refused.append(record)
                return error[0], _error(error[1], "Message undeliverable")
            self._counter += 1
            self.messages.append(record)
            wamid = f"wamid.FAKE{self._counter:06d}"
        to = body.get("to")
        return 200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": wamid, "message_status": "accepted"}],
        }

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, like the real API
            wbufsize = -1  # headers and body in one segment: no Nagle/delayed-ACK stall

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    body = {}
                status, answer = fake._answer(self.path, self.headers.get("Authorization", ""), body)
                if fake.latency:
                    time.sleep(fake.latency)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


def _error(code: int, message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEf"}}
