"""CPU per WhatsApp send: httpx (what GraphClient used) against aiohttp (what it uses now).

    .venv/bin/python bench/graph_client_bench.py --requests 3000 --concurrency 20

Both clients POST the same message to the load benchmark's lean fake Graph API (no
latency) from one event loop, with the same connection limit (100). Reported: CPU
seconds of the client's own thread per request (the fake API runs in another thread
and is not counted), and requests/s.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.lean_http import LeanGraphAPI  # noqa: E402
from bot.channels.whatsapp.graph import GraphClient  # noqa: E402

PAYLOAD = {"messaging_product": "whatsapp", "to": "221770000001", "type": "text",
           "text": {"body": "Le CFP de Bignona forme au solaire : 6 mois, gratuit. " * 3}}


async def measure(send: Callable[[], Awaitable[object]], requests: int, concurrency: int) -> tuple[float, float]:
    for _ in range(100):  # connections opened, code warm
        await send()
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with gate:
            await send()

    cpu, wall = time.thread_time(), time.perf_counter()
    await asyncio.gather(*(one() for _ in range(requests)))
    return (time.thread_time() - cpu) / requests * 1000, requests / (time.perf_counter() - wall)


async def main(requests: int, concurrency: int) -> None:
    api = LeanGraphAPI(latency=0.0).start()
    url = f"{api.base_url}/42/messages"
    headers = {"Authorization": "Bearer t"}
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(15.0, connect=5.0)) as http:
        async def with_httpx() -> object:
            response = await http.post(url, json=PAYLOAD, headers=headers)
            return json.loads(response.content)

        cpu, rate = await measure(with_httpx, requests, concurrency)
        print(f"httpx 0.28 AsyncClient.post      {cpu:.2f} ms CPU per request, {rate:.0f} requests/s")
    graph = GraphClient(base_url=api.base_url, phone_number_id="42", token="t")
    cpu, rate = await measure(lambda: graph.send_message(PAYLOAD), requests, concurrency)
    await graph.aclose()
    print(f"GraphClient (aiohttp)            {cpu:.2f} ms CPU per request, {rate:.0f} requests/s")
    api.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.concurrency))
