from __future__ import annotations

import pytest

from bot.channels.whatsapp.graph import GraphClient, GraphError


@pytest.fixture
async def graph(graph_api):
    sleeps: list[float] = []

    async def fake_sleep(delay: float) -> None:
        sleeps.append(delay)

    client = GraphClient(
        base_url=graph_api.base_url,
        phone_number_id="42",
        token="tok",
        max_attempts=4,
        backoff=0.5,
        sleep=fake_sleep,
    )
    client.sleeps = sleeps  # type: ignore[attr-defined]
    yield client
    await client.aclose()


PAYLOAD = {"messaging_product": "whatsapp", "to": "221770000001", "type": "text", "text": {"body": "x"}}


async def test_success_returns_the_message_id(graph, graph_api):
    assert (await graph.send_message(PAYLOAD)).startswith("wamid.")
    assert graph_api.messages[0].path == "/v21.0/42/messages"


@pytest.mark.parametrize("how", ["http429", "130429", "131056"])
async def test_throttling_is_retried_with_exponential_backoff(graph, graph_api, how):
    graph_api.throttle_next(3, how=how)
    assert await graph.send_message(PAYLOAD)
    assert graph.sleeps == [0.5, 1.0, 2.0]
    assert len(graph_api.messages) == 1


async def test_retries_are_bounded(graph, graph_api):
    graph_api.throttle_next(10)
    with pytest.raises(GraphError) as caught:
        await graph.send_message(PAYLOAD)
    assert caught.value.throttled
    assert len(graph_api.refused) == 4
    assert graph_api.messages == []


async def test_other_errors_are_not_retried(graph, graph_api):
    graph_api.fail_for("221770000001", 131026)
    with pytest.raises(GraphError) as caught:
        await graph.send_message(PAYLOAD)
    assert (caught.value.status, caught.value.code) == (400, 131026)
    assert graph.sleeps == []
    assert "221770000001" not in str(caught.value)


async def test_unreachable_server_is_a_graph_error():
    client = GraphClient(
        base_url="http://127.0.0.1:9", phone_number_id="1", token="t",
        max_attempts=2, backoff=0, sleep=lambda _d: _noop(),
    )
    with pytest.raises(GraphError) as caught:
        await client.send_message(PAYLOAD)
    assert caught.value.status == 0
    # Connection refused: the message certainly did not leave.
    assert caught.value.never_left and not caught.value.maybe_delivered
    await client.aclose()


async def test_a_lost_answer_is_maybe_delivered_and_retried_only_if_asked(graph, graph_api):
    graph_api.drop_answer_next(1)
    with pytest.raises(GraphError) as caught:
        await graph.send_message(PAYLOAD, retry_uncertain=False)
    assert caught.value.maybe_delivered and not caught.value.never_left
    assert len(graph_api.messages) == 1 and graph.sleeps == []

    graph_api.drop_answer_next(1)
    assert await graph.send_message(PAYLOAD)  # a reply: retried, may arrive twice
    assert len(graph_api.messages) == 3


async def test_an_earlier_lost_answer_keeps_the_outcome_uncertain(graph_api):
    async def api_goes_down(_delay: float) -> None:
        graph_api.stop()  # the retry finds the connection refused...

    client = GraphClient(
        base_url=graph_api.base_url, phone_number_id="1", token="t",
        max_attempts=2, backoff=0, sleep=api_goes_down,
    )
    graph_api.drop_answer_next(1)
    with pytest.raises(GraphError) as caught:
        await client.send_message(PAYLOAD)
    assert len(graph_api.messages) == 1
    assert caught.value.maybe_delivered and not caught.value.never_left  # ...but the first may have arrived
    await client.aclose()


async def _noop() -> None:
    return None


def test_the_proxy_comes_from_the_environment_once(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    assert GraphClient(base_url="https://graph.facebook.com/v21.0", phone_number_id="1", token="t")._proxy == (
        "http://proxy.example:3128"
    )
    assert GraphClient(base_url="http://127.0.0.1:8080/v21.0", phone_number_id="1", token="t")._proxy is None
