"""The status repository (bot/storage/delivery_status.py), on SQLite."""
from __future__ import annotations

from datetime import datetime, timezone

T = datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_status_never_goes_backwards(status_repo):
    status_repo.record_status("whatsapp", "wamid.1", "read", T)
    status_repo.record_status("whatsapp", "wamid.1", "delivered", T)
    assert status_repo.status("whatsapp", "wamid.1") == "read"
    status_repo.record_status("whatsapp", "wamid.1", "failed", T, error_code=131026)
    assert status_repo.status("whatsapp", "wamid.1") == "failed"


def test_counts_per_status_and_error(status_repo):
    for i, status in enumerate(["sent", "delivered", "delivered"]):
        status_repo.record_status("whatsapp", f"wamid.{i}", status, T)
    status_repo.record_status("telegram", "9", "sent", T)
    status_repo.count_error("whatsapp", 130429)
    status_repo.count_error("whatsapp", 130429)
    status_repo.count_error("whatsapp", "http500")
    assert status_repo.status_counts("whatsapp") == {"sent": 1, "delivered": 2}
    assert status_repo.error_counts("whatsapp") == {"130429": 2, "http500": 1}
    assert status_repo.error_counts("telegram") == {}
    assert status_repo.status("whatsapp", "unknown") is None


def test_concurrent_first_errors_of_one_code_are_all_counted(db):
    """Many sends failing at once with a code never seen: one row, every failure counted."""
    from concurrent.futures import ThreadPoolExecutor

    from bot.storage.delivery_status import DeliveryStatusRepository

    repo = DeliveryStatusRepository(db)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: repo.count_error("whatsapp", "http0"), range(40)))
    assert repo.error_counts("whatsapp") == {"http0": 40}
