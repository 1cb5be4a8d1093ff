"""`/diffuser`: an admin referent writes an announcement from their phone.

Steps: /diffuser → the text → the territory → the bassin (or all) → a preview with
the number of recipients → « Envoyer » or « Annuler ». Drafts live in the shared
key store (database or Redis, a day at most), so the next step may be handled by
another process or after a restart; the campaign itself is a database row from the
preview on, and its delivery is the same durable engine as `terrapro broadcast send`.
"""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from bot.broadcast.compose import Broadcast
from bot.broadcast.errors import BroadcastRefused, NoChannel
from bot.core.messages import Button, Reply
from bot.storage.shared_keys import SharedKeyStore, SharedMap

log = logging.getLogger(__name__)

PAYLOAD = "/diffuser"
TERRITORIES = {"bignona": "Bignona", "savoie": "Savoie"}
ALL = "tous"

NOT_ADMIN = "La diffusion d'annonces est réservée aux référents administrateurs."
UNAVAILABLE = "La diffusion n'est pas disponible sur ce serveur (aucun canal d'envoi)."
ASK_TEXT = "Écris le texte de l'annonce (court : quelques lignes). /annuler pour arrêter."
ASK_TERRITORY = "À qui l'envoyer ?"
ASK_BASSIN = "Quel bassin de vie ?"
PREVIEW = "Aperçu :\n---\n{text}\n---\nDestinataires : {count} personne(s) abonnée(s) ({segment})."
SENDING = "Envoi lancé (campagne n°{id}, {count} destinataire(s)), au rythme autorisé. Suivi : terrapro broadcast status {id}"
CANCELLED = "Annonce annulée, rien n'a été envoyé."
EXPIRED = "Ce brouillon n'existe plus. Recommence avec /diffuser."
TOO_LONG = "Texte trop long ({n} caractères, 1 000 au plus). Raccourcis-le."
MAX_TEXT = 1000
DRAFTS_NAMESPACE = "broadcast:draft"
DRAFT_TTL = timedelta(days=1)


def draft_store(store: SharedKeyStore) -> SharedMap:
    return store.map(DRAFTS_NAMESPACE, DRAFT_TTL)


@dataclass
class Draft:
    text: str = ""
    territoire: str | None = None
    bassin: str | None = None
    campaign_id: int | None = None


    @classmethod
    def from_json(cls, raw: str | None) -> Draft | None:
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            return cls(**{k: data.get(k) for k in ("text", "territoire", "bassin", "campaign_id")})
        except (ValueError, TypeError):
            return None


@dataclass
class BroadcastComposer:
    bassins_by_territory: dict[str, list[str]]
    drafts: SharedMap
    broadcast: Broadcast | None = None
    _sending: set[asyncio.Task] = field(default_factory=set)

    async def composing(self, referent_id: int) -> bool:
        return await self._draft(referent_id) is not None

    async def _draft(self, referent_id: int) -> Draft | None:
        return Draft.from_json(await self.drafts.aget(str(referent_id)))

    async def _save(self, referent_id: int, draft: Draft) -> None:
        await self.drafts.aput(str(referent_id), json.dumps(asdict(draft), ensure_ascii=False))

    async def handle(self, referent, raw: str) -> list[Reply]:
        """``raw`` is "/diffuser …" (a command or a button) or, while composing, the text."""
        if referent.role != "admin":
            return [Reply(NOT_ADMIN)]
        if self.broadcast is None or not self.broadcast.engine.has_senders:
            return [Reply(UNAVAILABLE)]
        if raw.startswith(PAYLOAD):
            return await self._step(referent.id, raw[len(PAYLOAD):].strip())
        return await self._text(referent.id, raw)

    async def cancel(self, referent_id: int) -> list[Reply]:
        await self.drafts.adelete(str(referent_id))
        return [Reply(CANCELLED)]

    async def _text(self, referent_id: int, text: str) -> list[Reply]:
        draft = await self._draft(referent_id)
        if draft is None:
            return [Reply(EXPIRED)]
        text = text.strip()
        if len(text) > MAX_TEXT:
            return [Reply(TOO_LONG.format(n=len(text)))]
        draft.text = text
        await self._save(referent_id, draft)
        return [Reply(ASK_TERRITORY, tuple(
            Button(label, _payload(territoire=code)) for code, label in TERRITORIES.items()
        ) + (Button("Annuler", _payload(cancel=True)),))]

    async def _step(self, referent_id: int, argument: str) -> list[Reply]:
        choice = _parse(argument)
        if not choice:  # a fresh /diffuser
            await self._save(referent_id, Draft())
            return [Reply(ASK_TEXT)]
        draft = await self._draft(referent_id)
        if draft is None or not draft.text:
            return [Reply(EXPIRED)]
        if choice.get("cancel"):
            return await self.cancel(referent_id)
        if "territoire" in choice:
            draft.territoire = choice["territoire"] if choice["territoire"] in TERRITORIES else None
            await self._save(referent_id, draft)
            bassins = self.bassins_by_territory.get(draft.territoire or "", [])
            return [Reply(ASK_BASSIN, tuple(Button(b, _payload(bassin=b)) for b in bassins)
                          + (Button(f"Tout {TERRITORIES.get(draft.territoire, '')}".strip(), _payload(bassin=ALL)),))]
        if "bassin" in choice:
            draft.bassin = None if choice["bassin"] == ALL else choice["bassin"]
            return await self._preview(referent_id, draft)
        if choice.get("confirm"):
            return await self._send(referent_id, draft)
        return [Reply(EXPIRED)]

    async def _preview(self, referent_id: int, draft: Draft) -> list[Reply]:
        service = self.broadcast.service
        try:
            campaign = service.create(draft.text, territoire=draft.territoire, bassin=draft.bassin)
        except BroadcastRefused as refused:
            await self.drafts.adelete(str(referent_id))
            return [Reply(refused.user_message)]
        draft.campaign_id = campaign.id
        await self._save(referent_id, draft)
        preview = service.preview(campaign.id)
        segment = ", ".join(filter(None, [TERRITORIES.get(draft.territoire or ""), draft.bassin])) or "tous"
        return [Reply(
            PREVIEW.format(text=preview.message.text, count=preview.recipients, segment=segment),
            (Button("Envoyer", _payload(confirm=True)), Button("Annuler", _payload(cancel=True))),
        )]

    async def _send(self, referent_id: int, draft: Draft) -> list[Reply]:
        if draft.campaign_id is None:
            return [Reply(EXPIRED)]
        await self.drafts.adelete(str(referent_id))
        count = self.broadcast.service.preview(draft.campaign_id).recipients
        task = asyncio.create_task(self._deliver(draft.campaign_id))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)
        return [Reply(SENDING.format(id=draft.campaign_id, count=count))]

    async def _deliver(self, campaign_id: int) -> None:
        try:
            await self.broadcast.service.send(campaign_id)
        except NoChannel:
            log.warning("campaign %s: no channel to send with", campaign_id)
        except Exception as exc:  # the worker resumes it; nothing must crash the bot
            log.exception("campaign %s: delivery stopped (%s)", campaign_id, type(exc).__name__)


def _payload(**choice) -> str:
    return PAYLOAD + " " + json.dumps(choice, ensure_ascii=False, separators=(",", ":"))


def _parse(argument: str) -> dict:
    if not argument:
        return {}
    try:
        value = json.loads(argument)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
