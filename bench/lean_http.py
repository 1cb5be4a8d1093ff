"""The load benchmark's own HTTP ends, kept lean so they leave the machine's cores to the servers.

``LeanGraphAPI``: the WhatsApp Graph API's messages endpoint on an asyncio server in a
thread (the test suite's FakeGraphAPI starts a thread per connection and parses with
http.server: fine for tests, but at 150 messages/s it used a third of a core).
``LeanPoster``: keep-alive HTTP/1.1 connections posting pre-built requests.
"""
from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Received:
    to: str
    body: bytes
    at: float  # time.monotonic() on arrival


class LeanGraphAPI:
    def __init__(self, latency: float = 0.03) -> None:
        self.latency = latency
        self.messages: list[Received] = []
        self._counter = 0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v21.0"

    def start(self) -> LeanGraphAPI:
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        async def close_connections() -> None:
            if self._server is not None:
                self._server.close()
            for writer in list(self._writers):
                writer.close()  # each connection's reader ends: its task returns on its own
            open_ones = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            await asyncio.wait(open_ones, timeout=2) if open_ones else None

        asyncio.run_coroutine_threadsafe(close_connections(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=1024))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                body = await reader.readexactly(length) if length else b""
                arrived = time.monotonic()
                await asyncio.sleep(self.latency)
                self._counter += 1
                to = ""
                if b'"to"' in body:
                    to = str(json.loads(body).get("to", ""))
                self.messages.append(Received(to, body, arrived))
                answer = json.dumps({"messaging_product": "whatsapp", "contacts": [{"wa_id": to}],
                                     "messages": [{"id": f"wamid.lean.{self._counter}"}]}).encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                             + str(len(answer)).encode() + b"\r\n\r\n" + answer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()


class LeanPoster:
    """POSTs on ``connections`` keep-alive connections to one port; returns the status code."""

    def __init__(self, port: int, connections: int = 64) -> None:
        self._port = port
        self._idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None] = asyncio.Queue()
        for _ in range(connections):
            self._idle.put_nowait(None)  # opened on first use

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        conn = await self._idle.get()
        try:
            if conn is None:
                conn = await asyncio.open_connection("127.0.0.1", self._port)
            reader, writer = conn
            head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n"
                    + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode()
            writer.write(head + body)
            status_head = await reader.readuntil(b"\r\n\r\n")
            status = int(status_head.split(b" ", 2)[1])
            length = 0
            for line in status_head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            return status
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            if conn is not None:
                conn[1].close()
            conn = None
            raise ConnectionError("post failed") from None
        finally:
            self._idle.put_nowait(conn)
