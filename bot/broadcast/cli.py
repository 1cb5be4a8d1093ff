"""`terrapro broadcast ...` and `terrapro worker` for coordinators (French output)."""
from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.broadcast.localtime import zone_for

if TYPE_CHECKING:
    from bot.broadcast.engine import DeliverySummary

STATUS_FR = {"draft": "brouillon", "scheduled": "programmée", "sending": "en cours", "done": "terminée"}


def register(
    subparsers: Any,
    make_broadcast: Callable[[], Any],
    make_sending_broadcast: Callable[[], Any] | None = None,
) -> None:
    """Both return a bot.broadcast.compose.Broadcast: ``make_broadcast`` without channels
    (create, preview, status, list), ``make_sending_broadcast`` with them (send, worker;
    defaults to ``make_broadcast``)."""
    broadcast = make_broadcast
    sending = make_sending_broadcast or make_broadcast

    parser = subparsers.add_parser("broadcast", help="annonces aux personnes abonnées (portes ouvertes…)")
    sub = parser.add_subparsers(dest="broadcast_command", required=True)

    create = sub.add_parser("create", help="créer une campagne (l'identifiant est sur la dernière ligne)")
    create.add_argument("--text", required=True, help="texte du message")
    create.add_argument("--territoire", help="bignona ou savoie")
    create.add_argument("--bassin", help="bassin de vie")
    create.add_argument("--filiere", help="code de filière (ex. solaire)")
    create.add_argument("--event", help="identifiant d'événement de events.csv (ex. EVT-01)")
    create.add_argument("--at", help="envoi programmé, AAAA-MM-JJTHH:MM (heure locale du territoire)")
    create.set_defaults(run=lambda a: _create(broadcast(), a))

    preview = sub.add_parser("preview", help="texte et nombre de destinataires")
    preview.add_argument("id", type=int)
    preview.set_defaults(run=lambda a: _preview(broadcast(), a.id))

    send = sub.add_parser("send", help="envoyer maintenant (ou reprendre un envoi interrompu)")
    send.add_argument("id", type=int)
    send.add_argument("--no-progress", action="store_true", help="sans barre de progression")
    send.set_defaults(run=lambda a: _send(sending(), a.id, not a.no_progress))

    status = sub.add_parser("status", help="où en est une campagne")
    status.add_argument("id", type=int)
    status.set_defaults(run=lambda a: _status(broadcast(), a.id))

    listing = sub.add_parser("list", help="les dernières campagnes")
    listing.add_argument("--limit", type=int, default=30)
    listing.set_defaults(run=lambda a: _list(broadcast(), a.limit))

    worker = subparsers.add_parser("worker", help="envoie les campagnes programmées et les rappels à l'heure")
    worker.add_argument("--interval", type=float, default=30.0, help="secondes entre deux passages")
    worker.add_argument("--once", action="store_true", help="un seul passage puis s'arrête")
    worker.set_defaults(run=lambda a: _worker(sending(), a.interval, a.once))


def _segment(c) -> str:
    parts = [c.territoire or "tous territoires"]
    if c.bassin:
        parts.append(f"bassin {c.bassin}")
    if c.filiere:
        parts.append(f"filière {c.filiere}")
    return ", ".join(parts)


def _when(c) -> str:
    if not c.scheduled_at:
        return "envoi manuel"
    local = c.scheduled_at.astimezone(zone_for(c.territoire))
    return f"programmée le {local:%Y-%m-%d %H:%M} (heure locale)"


def _create(b, a: argparse.Namespace) -> int:
    c = b.service.create(
        a.text, territoire=a.territoire, bassin=a.bassin, filiere=a.filiere, event_id=a.event, at=a.at
    )
    print(f"Campagne créée ({STATUS_FR[c.status]}, {_segment(c)}, {_when(c)}).")
    print(c.id)
    return 0


def _preview(b, campaign_id: int) -> int:
    p = b.service.preview(campaign_id)
    print(f"Campagne {p.campaign.id} — {STATUS_FR[p.campaign.status]} — {_segment(p.campaign)} — {_when(p.campaign)}")
    print("---")
    print(p.message.text)
    for button in p.message.buttons:
        print(f"[{button.title}]")
    print("---")
    print(f"Destinataires : {p.recipients}")
    return 0


class _ProgressBar:
    """One line on stderr, redrawn at most 10 times a second."""

    def __init__(self, stream=None, width: int = 30) -> None:
        self._stream = stream or sys.stderr
        self._width = width
        self._last = 0.0
        self._start = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        total = max(total, done, 1)
        filled = int(self._width * done / total)
        rate = done / max(now - self._start, 1e-6)
        self._stream.write(f"\r[{'#' * filled}{'.' * (self._width - filled)}] {done}/{total}  {rate:5.1f} msg/s")
        self._stream.flush()

    def close(self) -> None:
        self._stream.write("\n")
        self._stream.flush()


def print_summary(s: DeliverySummary) -> None:
    print(
        f"Campagne {s.campaign_id} : envoyés {s.sent}, échecs {s.failed}, injoignables {s.unreachable}, "
        f"ignorés {s.skipped}, incertains (peut-être reçus, non renvoyés) {s.uncertain}, en attente {s.queued}"
    )
    for reason, n in sorted(s.skip_reasons.items()):
        print(f"  ignorés — {reason} : {n}")
    if s.postponed_this_run:
        print(
            f"Remis en attente pendant cette exécution : {s.postponed_this_run} "
            "(plateforme injoignable ou limite de débit répétée ; ils n'ont pas été reçus)"
        )
    if s.in_flight:
        print(f"En cours d'envoi par un autre processus : {s.in_flight}")
    if s.done:
        print("Terminée.")
    else:
        print(
            f"Pas terminée : relancez `terrapro broadcast send {s.campaign_id}` pour envoyer les messages en "
            "attente (le worker les reprend aussi)."
        )


def _send(b, campaign_id: int, show_progress: bool) -> int:
    bar = _ProgressBar() if show_progress else None
    try:
        summary = asyncio.run(b.service.send(campaign_id, progress=bar))
    finally:
        if bar:
            bar.close()
    print(f"Envoyés pendant cette exécution : {summary.sent_this_run}")
    print_summary(summary)
    return 0


def _status(b, campaign_id: int) -> int:
    st = b.service.status(campaign_id)
    c = st.campaign
    print(f"Campagne {c.id} — {STATUS_FR[c.status]} — {_segment(c)} — {_when(c)}")
    if c.event_id:
        print(f"Événement : {c.event_id}")
    counts = st.counts
    print(
        f"Destinataires {c.recipient_count} : en attente {counts['queued']}, envoyés {counts['sent']}, "
        f"échecs {counts['failed']}, injoignables {counts['unreachable']}, ignorés {counts['skipped']}, "
        f"incertains (peut-être reçus, non renvoyés) {counts['uncertain']}, en cours {counts['sending']}"
    )
    for reason, n in sorted(st.skip_reasons.items()):
        print(f"  ignorés — {reason} : {n}")
    return 0


def _list(b, limit: int) -> int:
    rows = b.service.list(limit)
    if not rows:
        print("Aucune campagne.")
        return 0
    for c in rows:
        text = c.text.replace("\n", " ")
        text = text if len(text) <= 40 else text[:39] + "…"
        print(f"{c.id:>5}  {STATUS_FR[c.status]:<10}  {c.recipient_count:>5} dest.  {_segment(c)}  — {text}")
    return 0


def _worker(b, interval: float, once: bool) -> int:
    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):
                pass
        if once:
            tick = await b.worker.run_once(stop)
            print(f"{len(tick.campaigns)} campagne(s) traitée(s), {tick.reminders} rappel(s).")
            return
        print("Worker de diffusion démarré (Ctrl-C pour arrêter).", file=sys.stderr)
        await b.worker.run(stop, interval)

    asyncio.run(main())
    return 0
