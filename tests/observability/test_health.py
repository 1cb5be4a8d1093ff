"""`/health`: 200 when the database and Redis answer, 503 when either is down."""
from __future__ import annotations

import httpx
import redis.asyncio

from bot.observability.health import HealthCheck
from bot.storage.database import Database
from bot.storage.operations import OperationsRepository
from bot.web import create_app
from tests.conftest import REDIS_URL

NOBODY_LISTENS = "127.0.0.1:9"  # discard port: connection refused at once


async def get_health(check: HealthCheck) -> httpx.Response:
    transport = httpx.ASGITransport(app=create_app([], health=check))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.get("/health")


async def test_ok_without_redis(db):
    response = await get_health(HealthCheck(OperationsRepository(db)))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "absent"}


async def test_ok_with_redis(sqlite_db, async_redis_client):
    client = redis.asyncio.Redis.from_url(REDIS_URL)
    try:
        response = await get_health(HealthCheck(OperationsRepository(sqlite_db), client.ping))
    finally:
        await client.aclose()
    assert response.status_code == 200
    assert response.json()["redis"] == "ok"


async def test_redis_down_is_503(sqlite_db):
    client = redis.asyncio.Redis.from_url(f"redis://{NOBODY_LISTENS}/0", socket_connect_timeout=1)
    try:
        response = await get_health(HealthCheck(OperationsRepository(sqlite_db), client.ping))
    finally:
        await client.aclose()
    assert response.status_code == 503
    assert response.json() == {"status": "down", "database": "ok", "redis": "down"}


async def test_database_down_is_503():
    db = Database.from_url(f"postgresql+psycopg://postgres@{NOBODY_LISTENS}/terrapro")
    try:
        response = await get_health(HealthCheck(OperationsRepository(db)))
    finally:
        db.dispose()
    assert response.status_code == 503
    assert response.json()["database"] == "down"


async def test_the_composed_web_app_serves_health_and_metrics(tmp_path):
    from bot.app import App
    from bot.settings import Settings
    from bot.web.compose import build_web_app

    app = App(Settings(data_dir=tmp_path, database_url="", redis_url=""))
    transport = httpx.ASGITransport(app=build_web_app(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        health, metrics = await client.get("/health"), await client.get("/metrics")
    app.close()
    assert health.status_code == 200 and health.json()["database"] == "ok"
    assert metrics.status_code == 200 and b"terrapro_handoff_tickets" in metrics.content
    assert "nlu" not in app.__dict__  # the model loads on the first message, not for a probe
