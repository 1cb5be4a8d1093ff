from __future__ import annotations

import argparse
from types import SimpleNamespace

import pytest

from bot.channels.telegram import TelegramConfigError, build_application
from bot.channels.telegram.cli import run
from bot.channels.telegram.config import validate_token
from tests.fakes.telegram_api import TOKEN


@pytest.mark.parametrize("token", ["", "  ", "abc", "123456:short", "123:has spaces in it xxxxxxxxxxxxxxxxxx",
                                   "bot123456789:AAFakeTokenForTestsOnly_abcdefghijk"])
def test_bad_tokens_are_refused_without_echoing_them(token):
    with pytest.raises(TelegramConfigError) as caught:
        validate_token(token)
    assert "TERRAPRO_TELEGRAM_TOKEN" in str(caught.value) or "mal formé" in str(caught.value)
    if token.strip():
        assert token.strip() not in str(caught.value)


def test_good_token_passes():
    assert validate_token(f" {TOKEN} ") == TOKEN


def test_build_application_refuses_a_bad_token(settings, handler, persons, shared_store):
    with pytest.raises(TelegramConfigError):
        build_application(settings.model_copy(update={"telegram_token": "nope"}), handler, persons, shared_store)


def _cli(services) -> argparse.Namespace:
    return argparse.Namespace(run=lambda args: run(lambda: services))


def test_cli_missing_token_prints_a_clear_message(settings, handler, persons, capsys):
    services = SimpleNamespace(settings=settings.model_copy(update={"telegram_token": ""}),
                               conversation=handler, persons=persons)
    args = _cli(services)
    assert args.run(args) == 2
    err = capsys.readouterr().err
    assert "TERRAPRO_TELEGRAM_TOKEN" in err and "Traceback" not in err
