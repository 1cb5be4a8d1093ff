"""A fake WhatsApp Graph API on 127.0.0.1 (random port, background thread).

Records every POSTed message; can answer throttling for the next N calls or
a given error code for a given recipient, or take the next N messages and close the
connection without answering (the message arrived, its answer is lost).
"""
from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes.multipart import UploadedFile, parse_multipart


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
        self._drops = 0
        self._errors: dict[str, tuple[int, int]] = {}
        self._counter = 0
        # Media the fake holds (id → bytes, type, declared size) and what the bot uploaded.
        self.media: dict[str, tuple[bytes, str, int | None]] = {}
        self.uploads: list[tuple[str, UploadedFile]] = []
        self.downloads: list[str] = []
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

    def drop_answer_next(self, n: int) -> None:
        """The next ``n`` messages are recorded as received, then the connection is closed unanswered."""
        with self._lock:
            self._drops += n

    def _take_drop(self) -> bool:
        with self._lock:
            if self._drops > 0:
                self._drops -= 1
                return True
            return False

    def add_media(self, media_id: str, data: bytes, mime_type: str, *, declared_size: int | None = None) -> None:
        """A voice note or photo a person sent (``declared_size`` lies about the size, to test limits)."""
        with self._lock:
            self.media[media_id] = (data, mime_type, declared_size)

    def uploaded(self, media_id: str) -> UploadedFile:
        with self._lock:
            return dict(self.uploads)[media_id]

    def _media_info(self, path: str, auth: str) -> tuple[int, Any, str]:
        media_id = path.rsplit("/", 1)[-1]
        with self._lock:
            found = self.media.get(media_id)
        if auth != "Bearer test-token" or found is None:
            # Meta answers an expired or unknown media id like this.
            return 404, _error(100, "Unsupported get request. Object does not exist"), "application/json"
        data, mime_type, declared = found
        return 200, {
            "messaging_product": "whatsapp", "id": media_id, "mime_type": mime_type,
            "file_size": declared if declared is not None else len(data),
            "url": f"{self.base_url.rsplit('/', 1)[0]}/download/{media_id}",
        }, "application/json"

    def _download(self, path: str, auth: str) -> tuple[int, Any, str]:
        media_id = path.rsplit("/", 1)[-1]
        with self._lock:
            found = self.media.get(media_id)
            self.downloads.append(media_id)
        if auth != "Bearer test-token" or found is None:
            return 404, b"", "text/plain"
        return 200, found[0], found[1]

    def _upload(self, content_type: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        fields, files = parse_multipart(content_type, raw)
        if fields.get("messaging_product") != "whatsapp" or "file" not in files:
            return 400, _error(100, "Invalid parameter")
        with self._lock:
            self._counter += 1
            media_id = f"upl-{self._counter}"
            self.uploads.append((media_id, files["file"]))
        return 200, {"id": media_id}

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

            def do_GET(self) -> None:  # noqa: N802
                auth = self.headers.get("Authorization", "")
                if self.path.startswith("/download/"):
                    self._reply(*fake._download(self.path, auth))
                else:
                    self._reply(*fake._media_info(self.path, auth))

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                content_type = self.headers.get("Content-Type", "")
                if self.path.endswith("/media"):
                    status, answer = fake._upload(content_type, raw)
                    self._reply(status, answer, "application/json")
                    return
                try:
                    body = json.loads(raw) if len(raw) == length else None
                except ValueError:
                    body = None
                if not isinstance(body, dict):
                    # A sender killed mid-request leaves a cut body: Meta answers 400 and sends nothing.
                    self._reply(400, _error(100, "Invalid parameter"), "application/json")
                    return
                status, answer = fake._answer(self.path, self.headers.get("Authorization", ""), body)
                if status == 200 and fake._take_drop():
                    self.close_connection = True  # received and recorded; the answer never leaves
                    return
                if fake.latency:
                    time.sleep(fake.latency)
                self._reply(status, answer, "application/json")

            def _reply(self, status: int, answer: Any, content_type: str) -> None:
                data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


def _error(code: int, message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEf"}}
