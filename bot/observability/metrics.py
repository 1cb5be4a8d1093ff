"""Prometheus metrics of one process, on a registry owned by the composition root.

Counted in the process: messages in and replies out per channel, the latency of
a conversation turn. Read from the database at each scrape (the same for every
process): the referents' queue, the longest wait, campaign progress, platform
error codes. Label values are channels, statuses and codes, never a person.
"""
from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from bot.core.conversation import ConversationService, Settle
from bot.core.messages import IncomingMessage, Reply
from bot.storage.operations import OperationsRepository

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# A turn is a few milliseconds; the tail shows the database or Redis struggling.
TURN_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.messages_in = Counter(
            "terrapro_messages_in", "Messages received from young people", ["channel"], registry=self.registry
        )
        self.messages_out = Counter(
            "terrapro_messages_out", "Replies the bot sent back", ["channel"], registry=self.registry
        )
        self.turn_seconds = Histogram(
            "terrapro_turn_seconds", "Time to handle one message (conversation turn)", ["channel"],
            buckets=TURN_BUCKETS, registry=self.registry,
        )

    def watch_database(self, operations: OperationsRepository) -> None:
        self.registry.register(DatabaseCollector(operations))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    async def measure_turn(
        self, message: IncomingMessage, handle: Callable[[IncomingMessage], Awaitable[list[Reply]]]
    ) -> list[Reply]:
        channel = message.channel
        self.messages_in.labels(channel).inc()
        start = time.perf_counter()
        try:
            replies = await handle(message)
        finally:
            self.turn_seconds.labels(channel).observe(time.perf_counter() - start)
        self.messages_out.labels(channel).inc(len(replies))
        return replies


class MeasuredConversation(ConversationService):
    """The core, counted and timed. A subclass, so every caller still has the whole
    ConversationService; whichever channel path calls ``handle`` is measured."""

    def __init__(self, metrics: Metrics, **parts: Any) -> None:
        super().__init__(**parts)
        self._metrics = metrics

    async def handle(self, message: IncomingMessage, *, settle: Settle | None = None) -> list[Reply]:
        return await self._metrics.measure_turn(message, lambda m: super(MeasuredConversation, self).handle(m, settle=settle))


class DatabaseCollector(Collector):
    def __init__(self, operations: OperationsRepository) -> None:
        self._operations = operations

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        queue = self._operations.handoff_queue()
        tickets = GaugeMetricFamily(
            "terrapro_handoff_tickets", "Hand-off requests by state (waiting = queue depth)", labels=["status"]
        )
        tickets.add_metric(["waiting"], queue.waiting)
        tickets.add_metric(["assigned"], queue.assigned)
        yield tickets
        yield GaugeMetricFamily(
            "terrapro_handoff_oldest_wait_seconds", "How long the longest-waiting young person has waited",
            value=queue.oldest_wait_seconds,
        )
        progress = GaugeMetricFamily(
            "terrapro_broadcast_recipients", "Recipients of campaigns being sent, by delivery status",
            labels=["campaign", "status"],
        )
        for campaign in self._operations.campaigns_in_progress():
            for status, count in sorted(campaign.status_counts.items()):
                progress.add_metric([str(campaign.campaign_id), status], count)
        yield progress
        errors = CounterMetricFamily(
            "terrapro_platform_errors", "Errors answered by the Telegram / WhatsApp APIs, by code",
            labels=["channel", "code"],
        )
        for (channel, code), count in sorted(self._operations.platform_errors().items()):
            errors.add_metric([channel, code], count)
        yield errors
