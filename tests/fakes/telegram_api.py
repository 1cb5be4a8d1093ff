"""A small fake Telegram Bot API server on 127.0.0.1 (random free port) for integration tests.

Runs a Starlette app under uvicorn in a background thread, so the real python-telegram-bot
client talks HTTP to it exactly as to api.telegram.org. Records every call with a timestamp,
can be told to fail (429 / 403 / 5xx) or to handle a call and then drop the connection
before the answer is complete, and records unknown methods so tests fail loudly.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.fakes.multipart import UploadedFile, parse_multipart

TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijk"
BOT_ID = 123456789
BOT_USERNAME = "TerraProTestBot"

# Form fields PTB sends as plain strings; every other field is JSON-encoded.
_STRING_FIELDS = {"text", "caption", "callback_query_id", "action", "url", "secret_token", "language_code",
                  "parse_mode", "inline_message_id"}


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]
    at: float  # time.monotonic() when the server received it


@dataclass
class _Failure:
    method: str
    remaining: int
    status: int
    retry_after: int | None


@dataclass
class FakeTelegramAPI:
    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._failures: list[_Failure] = []
        self._drops: dict[str, int] = {}
        self._blocked_chats: set[int] = set()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.webhook_url = ""
        # Files people sent (file_id → bytes, declared size) and files the bot uploaded.
        self.files: dict[str, tuple[bytes, int | None]] = {}
        self.uploads: list[tuple[str, int, UploadedFile]] = []

    # -- lifecycle -----------------------------------------------------------------------
    def start(self, port: int = 0) -> FakeTelegramAPI:
        """``port``: restart on the port of an earlier run (the API "comes back"); calls are kept."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        self.port = sock.getsockname()[1]
        app = Starlette(routes=[
            Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"]),
            Route("/file/bot{token}/{path:path}", self._file, methods=["GET"]),
        ])
        config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 5
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("fake Telegram API did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(timeout=5)

    @property
    def base_url(self) -> str:
        """What goes in TERRAPRO_TELEGRAM_BASE_URL (PTB appends the token)."""
        return f"http://127.0.0.1:{self.port}/bot"

    def reset(self) -> None:
        """Forget calls, queued updates and scripted failures (one server shared by many tests)."""
        with self._lock:
            self.calls.clear()
            self.unknown.clear()
            self._updates.clear()
            self._failures.clear()
            self._drops.clear()
            self._blocked_chats.clear()
            self.webhook_url = ""

    # -- scripting -----------------------------------------------------------------------
    def fail_next(self, method: str, count: int = 1, *, status: int = 429, retry_after: int | None = 1) -> None:
        with self._lock:
            self._failures.append(_Failure(method, count, status, retry_after if status == 429 else None))

    def drop_answer_next(self, method: str, count: int = 1) -> None:
        """The next ``count`` calls are handled (a message is "delivered"), then the connection
        breaks before the answer is complete: the client cannot know it arrived."""
        with self._lock:
            self._drops[method] = self._drops.get(method, 0) + count

    def _take_drop(self, method: str) -> bool:
        with self._lock:
            if self._drops.get(method, 0) > 0:
                self._drops[method] -= 1
                return True
            return False

    def add_file(self, file_id: str, data: bytes, *, declared_size: int | None = None) -> None:
        """A voice note or photo someone sent (``declared_size`` lies about the size, to test limits)."""
        with self._lock:
            self.files[file_id] = (data, declared_size)

    def block_chat(self, chat_id: int) -> None:
        """The person blocked the bot: every send to this chat answers 403."""
        with self._lock:
            self._blocked_chats.add(int(chat_id))

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            update = {"update_id": next(self._update_ids), **update}
            self._updates.append(update)
        return update

    def new_update_id(self) -> int:
        return next(self._update_ids)

    def message_update(self, chat_id: int, text: str | None = None, *, first_name: str = "Awa",
                       chat_type: str = "private", **fields: Any) -> dict[str, Any]:
        """An update dict (not queued) for a message; ``fields`` add voice, photo, location..."""
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": _chat(chat_id, chat_type, first_name),
            "from": {"id": chat_id if chat_type == "private" else 555, "is_bot": False,
                     "first_name": first_name, "last_name": "Diatta", "username": "awa_d"},
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        message.update(fields)
        return {"message": message}

    def send_message_update(self, chat_id: int, text: str | None = None, **kw: Any) -> dict[str, Any]:
        return self.push_update(self.message_update(chat_id, text, **kw))

    def press_button(self, chat_id: int, data: str, *, on_message: dict[str, Any] | None = None,
                     first_name: str = "Awa") -> dict[str, Any]:
        message = on_message or {"message_id": next(self._message_ids), "date": int(time.time()),
                                 "chat": _chat(chat_id, "private", first_name), "text": "…"}
        return self.push_update({"callback_query": {
            "id": f"cb{next(self._message_ids)}",
            "from": {"id": chat_id, "is_bot": False, "first_name": first_name},
            "chat_instance": "ci", "data": data, "message": message,
        }})

    # -- inspection ----------------------------------------------------------------------
    def calls_to(self, method: str, chat_id: int | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method
                    and (chat_id is None or c.params.get("chat_id") == chat_id)]

    async def wait_for(self, method: str, count: int = 1, *, chat_id: int | None = None,
                       timeout: float = 5.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while True:
            found = self.calls_to(method, chat_id)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} {method} call(s) for chat {chat_id}, got {len(found)}: "
                                     f"{[c.method for c in self.calls]}")
            await asyncio.sleep(0.01)

    # -- the HTTP side -------------------------------------------------------------------
    async def _endpoint(self, request: Request) -> JSONResponse:
        if request.path_params["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.path_params["method"]
        params = await _params(request)
        with self._lock:
            self.calls.append(Call(method, params, time.monotonic()))
            failure = self._take_failure(method, params)
        if failure is not None:
            return failure
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            with self._lock:
                self.unknown.append(method)
            return _error(404, f"Not Found: method {method} is not faked")
        result = handler(params, request) if method == "getUpdates" else handler(params)
        if asyncio.iscoroutine(result):
            result = await result
        if isinstance(result, JSONResponse):
            return result
        if self._take_drop(method):
            return StreamingResponse(_broken_body(), media_type="application/json")
        return JSONResponse({"ok": True, "result": result})

    def _take_failure(self, method: str, params: dict[str, Any]) -> JSONResponse | None:
        chat_id = params.get("chat_id")
        if method in ("sendMessage", "sendChatAction") and chat_id in self._blocked_chats:
            return _error(403, "Forbidden: bot was blocked by the user")
        for failure in self._failures:
            if failure.method == method and failure.remaining > 0:
                failure.remaining -= 1
                if failure.status == 429:
                    return _error(429, f"Too Many Requests: retry after {failure.retry_after}",
                                  {"retry_after": failure.retry_after})
                if failure.status == 403:
                    return _error(403, "Forbidden: bot was blocked by the user")
                return _error(failure.status, "Bad Gateway")
        return None

    def _m_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "TerraPro", "username": BOT_USERNAME,
                "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False}

    async def _m_getUpdates(self, params: dict[str, Any], request: Request) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while True:
            with self._lock:
                # Telegram forgets updates below the offset: they were confirmed.
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                pending = self._updates[:limit]
            if pending or time.monotonic() >= deadline or await request.is_disconnected():
                return pending
            await asyncio.sleep(0.01)

    def _m_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params["chat_id"]
        message: dict[str, Any] = {
            "message_id": next(self._message_ids), "date": int(time.time()),
            "chat": _chat(chat_id, "private" if chat_id > 0 else "group", "Awa"),
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "TerraPro", "username": BOT_USERNAME},
            "text": params["text"],
        }
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        return message

    def _m_getFile(self, params: dict[str, Any]) -> dict[str, Any] | JSONResponse:
        file_id = str(params.get("file_id"))
        with self._lock:
            found = self.files.get(file_id)
        if found is None:
            return _error(400, "Bad Request: invalid file_id")
        data, declared = found
        size = declared if declared is not None else len(data)
        if size > 20 * 1024 * 1024:
            return _error(400, "Bad Request: file is too big")
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": size,
                "file_path": f"media/{file_id}"}

    async def _file(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return _error(401, "Unauthorized")
        file_id = request.path_params["path"].rsplit("/", 1)[-1]
        with self._lock:
            found = self.files.get(file_id)
        if found is None:
            return _error(404, "Not Found")
        return Response(found[0], media_type="application/octet-stream")

    def _uploaded(self, method: str, params: dict[str, Any], field: str) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        upload = params.get("_files", {}).get(field)
        if upload is None:
            raise AssertionError(f"fake Telegram API: {method} without a {field} file")
        with self._lock:
            self.uploads.append((method, chat_id, upload))
        message = self._m_sendMessage({**params, "chat_id": chat_id, "text": params.get("caption", "")})
        message.pop("text", None)
        return message

    def _m_sendVoice(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._uploaded("sendVoice", params, "voice")

    def _m_sendAudio(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._uploaded("sendAudio", params, "audio")

    def _m_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._uploaded("sendPhoto", params, "photo")
    def _m_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        upload = params.get("_files", {}).get("document")
        document = {"filename": upload.filename, "content": upload.data} if upload else {}
        params["document"] = document
        return {
            "message_id": next(self._message_ids), "date": int(time.time()),
            "chat": _chat(chat_id, "private" if chat_id > 0 else "group", "Awa"),
            "document": {"file_id": f"doc{chat_id}", "file_unique_id": f"doc{chat_id}",
                         "file_name": document.get("filename")},
            "caption": params.get("caption"),
        }

    def _m_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._m_sendMessage(params)

    def _m_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        return True

    def _m_setMyCommands(self, params: dict[str, Any]) -> bool:
        return True

    def _m_sendChatAction(self, params: dict[str, Any]) -> bool:
        return True

    def _m_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = ""
        return True

    def _m_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.webhook_url, "has_custom_certificate": False, "pending_update_count": 0}


class AnswerDropped(Exception):
    """Raised mid-answer by the fake on purpose: uvicorn aborts the connection."""


async def _broken_body():
    yield b'{"ok": tr'
    raise AnswerDropped("the fake drops this answer")


def _maybe_json(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def _chat(chat_id: int, chat_type: str, first_name: str) -> dict[str, Any]:
    if chat_type == "private":
        return {"id": chat_id, "type": "private", "first_name": first_name}
    return {"id": chat_id, "type": chat_type, "title": "Groupe CFP"}


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return JSONResponse(body, status_code=status)


async def _params(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").startswith("application/json"):
        return await request.json()
    # PTB posts application/x-www-form-urlencoded, multipart for file uploads (relayed voice
    # notes and photos); parsed by hand to avoid a python-multipart test dependency.
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        fields, files = parse_multipart(content_type, await request.body())
        params = {key: (value if key in _STRING_FIELDS or key == "caption" else _maybe_json(value))
                  for key, value in fields.items()}
        # PTB names the uploaded part after a random attachment id; the field points to it.
        params["_files"] = {
            key: files[value.removeprefix("attach://")]
            for key, value in fields.items() if value.startswith("attach://") and value.removeprefix("attach://") in files
        }
        params["_files"].update({key: f for key, f in files.items() if key in ("voice", "audio", "photo", "document")})
        return params
    if content_type and not content_type.startswith("application/x-www-form-urlencoded"):
        raise AssertionError(f"fake Telegram API: unexpected content type {content_type!r}")
    body = (await request.body()).decode()
    params: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        if key in _STRING_FIELDS:
            params[key] = value
            continue
        try:
            params[key] = json.loads(value)
        except ValueError:
            params[key] = value
    for key, value in request.query_params.items():
        params.setdefault(key, value)
    return params
