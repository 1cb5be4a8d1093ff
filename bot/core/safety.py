"""Safety first: a young person in distress gets help lines and a human before anything else.

``SafetyDesk`` runs on every written message before the hand-off gate, STOP, pending
questions and the classifier. On a distress message it asks the ``SafetyNet`` (the
hand-off queue, wired by the composition root) to raise an urgent request, then answers
with the help lines of the person's territory and what happens next, honestly.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from bot.core.distress import Detection, DistressCheck
from bot.core.errors import ContentError
from bot.core.messages import Button, Reply
from bot.core.texts import read_yaml
from bot.storage.records import PersonRecord

TALK_PAYLOAD = "/talk_to_human"
_YES = {"oui", "yes", "true", "vrai", "1"}


@dataclass(frozen=True)
class HelpLine:
    text: str  # "3114 — si tu penses au suicide (gratuit, 24h/24)"
    short: str  # "3114", used when both territories are listed; "" = not listed then
    verified: bool
    source: str


@dataclass(frozen=True)
class Alarm:
    """What the hand-off queue did with a distress message."""

    ticket_id: int | None
    created: bool  # a new urgent request (False: the open one was flagged urgent)
    referents_present: bool  # someone is on duty now
    holder: str | None = None  # first name of the referent already talking with the person


class SafetyNet(Protocol):
    async def raise_alarm(self, person: PersonRecord, trigger: str, detection: Detection) -> Alarm: ...


@dataclass(frozen=True)
class SafetyContent:
    check: DistressCheck
    worry: DistressCheck  # single worrying words, for messages the bot did not understand
    lines: dict[str, tuple[HelpLine, ...]]  # territory -> lines
    territory_names: dict[str, str]
    dialling_codes: dict[str, str]  # WhatsApp country code -> territory
    family_labels: dict[str, str]
    texts: dict[str, dict[str, str]]
    referent_texts: dict[str, str]

    @classmethod
    def load(cls, content_dir: Path) -> SafetyContent:
        return cls.from_data(read_yaml(content_dir / "safety.yml"))

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> SafetyContent:
        lines: dict[str, tuple[HelpLine, ...]] = {}
        for territory, entries in (data.get("numeros") or {}).items():
            parsed = []
            for entry in entries or []:
                if not entry.get("texte") or not entry.get("source"):
                    raise ContentError("safety.yml", None, f"numéro sans « texte » ou sans « source » ({territory})")
                parsed.append(HelpLine(
                    str(entry["texte"]), str(entry.get("court") or ""),
                    str(entry.get("verifie")).strip().casefold() in _YES, str(entry["source"]),
                ))
            lines[str(territory)] = tuple(parsed)
        texts = {str(k): {str(lang): str(t) for lang, t in v.items()} for k, v in (data.get("textes") or {}).items()}
        for key, variants in texts.items():
            if "fr" not in variants:
                raise ContentError("safety.yml", None, f"le texte « {key} » n'a pas de version française")
        worrying = {**data, "familles": {"inquietude": {"fr": list(data.get("mots_inquietants") or [])}}}
        return cls(
            check=DistressCheck.from_content(data),
            worry=DistressCheck.from_content(worrying),
            lines=lines,
            territory_names={str(k): str(v) for k, v in (data.get("noms_territoires") or {}).items()},
            dialling_codes={str(k): str(v) for k, v in (data.get("indicatifs") or {}).items()},
            family_labels={str(k): str((v or {}).get("libelle") or k) for k, v in (data.get("familles") or {}).items()},
            texts=texts,
            referent_texts={str(k): str(v) for k, v in (data.get("referents") or {}).items()},
        )

    def phrase(self, key: str, language: str = "fr", **values: Any) -> str:
        variants = self.texts[key]
        template = variants.get(language) or variants["fr"]
        return template.format(**values) if values else template

    def referent_text(self, key: str, **values: Any) -> str:
        return self.referent_texts[key].format(**values)

    def family_label(self, family: str) -> str:
        return self.family_labels.get(family, family)

    def territory_of(self, person: PersonRecord, known: str | None) -> str | None:
        """The person's territory: known from the conversation, else stored, else the WhatsApp country code."""
        territory = known or person.territoire
        if territory in self.lines:
            return territory
        if person.channel == "whatsapp":
            digits = person.external_id.lstrip("+")
            for code in sorted(self.dialling_codes, key=len, reverse=True):
                if digits.startswith(code):
                    return self.dialling_codes[code]
        return None

    def help_lines(self, territory: str | None, language: str) -> str:
        """Every line of the territory; when unknown, both territories briefly (no question first)."""
        pending = self.phrase("a_confirmer", language)
        if territory in self.lines:
            body = [f"📞 {line.text}" + ("" if line.verified else f" {pending}") for line in self.lines[territory]]
            return "\n".join([self.phrase("numeros_titre", language), *body])
        rows = [self.phrase("deux_territoires", language)]
        for name, lines in self.lines.items():
            shorts = [line.short + ("" if line.verified else f" {pending}") for line in lines if line.short]
            rows.append(f"📞 {self.territory_names.get(name, name)} : {' · '.join(shorts)}")
        return "\n".join(rows)


class SafetyDesk:
    def __init__(self, content: SafetyContent, net: SafetyNet | None) -> None:
        self._content = content
        self._net = net

    def check(self, text: str | None) -> Detection | None:
        return self._content.check.detect(text)

    def worried(self, text: str | None) -> bool:
        return self._content.worry.detect(text) is not None

    def second_net(self, person: PersonRecord, *, language: str, territory: str | None) -> list[Reply]:
        """Not understood and worrying words: help lines and a human offered, instead of "pas compris"."""
        content = self._content
        body = "\n\n".join((
            content.phrase("doute", language),
            content.help_lines(content.territory_of(person, territory), language),
        ))
        return [Reply(body, (Button(content.phrase("bouton_parler", language), TALK_PAYLOAD),))]

    async def respond(
        self, person: PersonRecord, text: str, detection: Detection, *, language: str, territory: str | None
    ) -> list[Reply]:
        content = self._content
        # The words of the message itself: someone who wrote Wolof earlier and now writes
        # « je veux plus vivre » reads this answer in French (and the other way round).
        language = detection.language or language
        alarm = await self._net.raise_alarm(person, text, detection) if self._net is not None else None
        if alarm is None or (not alarm.referents_present and alarm.holder is None):
            next_step = content.phrase("referent_absent", language)
        elif alarm.holder is not None:
            next_step = content.phrase("referent_en_ligne", language, name=alarm.holder)
        elif alarm.created:
            next_step = content.phrase("referent_prevenu", language)
        else:
            next_step = content.phrase("deja_dans_la_file", language)
        body = "\n\n".join((
            content.phrase("accueil", language),
            content.help_lines(content.territory_of(person, territory), language),
            next_step,
        ))
        buttons = () if alarm is not None and alarm.holder else (
            Button(content.phrase("bouton_parler", language), TALK_PAYLOAD),
        )
        return [Reply(body, buttons)]
