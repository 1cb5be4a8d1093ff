from __future__ import annotations

import argparse

import pytest

from bot.broadcast.cli import register
from bot.broadcast.errors import BroadcastRefused


@pytest.fixture
def run(make_broadcast, sender, capsys):
    b = make_broadcast({"telegram": sender})

    def run(*argv: str) -> tuple[str, str]:
        parser = argparse.ArgumentParser(prog="terrapro")
        sub = parser.add_subparsers(dest="command", required=True)
        register(sub, make_broadcast=lambda: b)
        args = parser.parse_args(list(argv))
        assert args.run(args) == 0
        out = capsys.readouterr()
        return out.out, out.err

    return run


def test_create_preview_send_status_list(run, add_people, sender):
    add_people(3)
    out, _ = run("broadcast", "create", "--text", "Portes ouvertes !", "--event", "EVT-FUT")
    campaign_id = out.strip().splitlines()[-1]
    assert campaign_id.isdigit()

    out, _ = run("broadcast", "preview", campaign_id)
    assert "Portes ouvertes !" in out and "Destinataires : 3" in out and "[Me le rappeler]" in out

    out, err = run("broadcast", "send", campaign_id)
    assert "3/3" in err  # the progress bar
    assert "envoyés 3" in out and "incertains (peut-être reçus, non renvoyés) 0" in out and "Terminée." in out
    assert len(sender.sends) == 3

    out, _ = run("broadcast", "send", campaign_id)
    assert "Envoyés pendant cette exécution : 0" in out and len(sender.sends) == 3

    out, _ = run("broadcast", "status", campaign_id)
    assert "terminée" in out and "envoyés 3" in out

    out, _ = run("broadcast", "list")
    assert out.split()[0] == campaign_id


def test_scheduled_create_and_worker_once(run, add_people, sender):
    add_people(2)
    out, _ = run("broadcast", "create", "--text", "Bientôt", "--territoire", "savoie", "--at", "2026-12-24T09:30")
    assert "programmée le 2026-12-24 09:30" in out
    out, _ = run("worker", "--once")
    assert "0 campagne(s)" in out and sender.sends == []


def test_past_event_is_refused(make_broadcast, sender):
    b = make_broadcast({"telegram": sender})
    parser = argparse.ArgumentParser(prog="terrapro")
    register(parser.add_subparsers(dest="command"), make_broadcast=lambda: b)
    args = parser.parse_args(["broadcast", "create", "--text", "x", "--event", "EVT-PAST"])
    with pytest.raises(BroadcastRefused) as info:
        args.run(args)
    assert "on n'annonce jamais un événement passé" in str(info.value)
