"""The embedded NLU engine: intent classifier + entity extractor + language, Rasa-shaped output.

Trains in seconds from nlu_data/ and caches the model under a key made of the
training files' bytes and the engine version, so a restart reuses it.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from bot.nlu.classifier import SoftmaxModel, SparseRows, train_softmax
from bot.nlu.dataset import Example, load_examples
from bot.nlu.entities import EntityExtractor, build_dictionaries
from bot.nlu.features import CHAR_MAX, CHAR_MIN, WORD_SHARE, Featurizer
from bot.nlu.language import LanguageDetector
from bot.nlu.payload import parse_payload
from bot.nlu.text import Token, normalized_tokens
from bot.nlu.vocabulary import load_regexes, nlu_files

logger = logging.getLogger(__name__)

ENGINE_VERSION = "terrapro-nlu-2"
FALLBACK_INTENT = "out_of_scope"
RANKING_SIZE = 10
# A whole Telegram or WhatsApp message (4,096 characters at most) is read.
MAX_PARSE_CHARS = 4000


@dataclass(frozen=True)
class TrainingConfig:
    l2: float = 1e-5
    epochs: int = 300
    learning_rate: float = 0.05


class _Markers:
    """Marker tokens (entity types, regex hits) shared by training and parsing."""

    def __init__(self, regexes: Mapping[str, Sequence[str]]) -> None:
        compiled = []
        for name, patterns in regexes.items():
            for pattern in patterns:
                try:
                    compiled.append((name, re.compile(pattern, re.IGNORECASE)))
                except re.error:
                    logger.warning("nlu: invalid regex %s ignored", name)
        self._regexes = compiled

    def __call__(self, text: str, entities: list[dict]) -> list[str]:
        markers = sorted({f"ent_{e['entity']}" for e in entities})
        markers.extend(f"re_{name}" for name, rx in self._regexes if rx.search(text))
        return markers


def _cache_path(nlu_data_dir: Path, cache_dir: Path) -> Path:
    return Path(cache_dir) / f"intent-{cache_key(nlu_data_dir)}.npz"


def training_words(examples: Sequence[Example]) -> set[str]:
    """Words of the training sentences: everyday words the fuzzy matcher must leave alone."""
    words: set[str] = set()
    for example in examples:
        words.update(t.text for t in normalized_tokens(example.text))
    return words


def cache_key(nlu_data_dir: Path, config: TrainingConfig = TrainingConfig()) -> str:
    settings = f"{ENGINE_VERSION}|{config}|{CHAR_MIN}-{CHAR_MAX}|{WORD_SHARE}"
    digest = hashlib.sha256(settings.encode())
    root = Path(nlu_data_dir)
    for path in nlu_files(root):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:32]


class IntentModel:
    """Featuriser + softmax classifier over the intent names."""

    def __init__(self, featurizer: Featurizer, model: SoftmaxModel, intents: list[str]) -> None:
        self.featurizer = featurizer
        self.model = model
        self.intents = intents

    @classmethod
    def train(
        cls,
        docs: list[tuple[list[str], list[str]]],
        labels: list[str],
        config: TrainingConfig = TrainingConfig(),
    ) -> IntentModel:
        intents = sorted(set(labels))
        featurizer = Featurizer.fit(docs)
        rows = [featurizer.transform(words, markers) for words, markers in docs]
        x = SparseRows.from_rows(rows, featurizer.size)
        y = np.array([intents.index(label) for label in labels], dtype=np.int64)
        model = train_softmax(
            x, y, len(intents), l2=config.l2, epochs=config.epochs, learning_rate=config.learning_rate
        )
        return cls(featurizer, model, intents)

    def proba(self, words: list[str], markers: list[str]) -> np.ndarray:
        ids, values = self.featurizer.transform(words, markers)
        return self.model.proba_one(ids, values)

    def save(self, path: Path) -> None:
        words = sorted(self.featurizer.word_index, key=self.featurizer.word_index.get)
        chars = sorted(self.featurizer.char_index, key=self.featurizer.char_index.get)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp.npz")
        os.close(fd)
        try:
            np.savez_compressed(
                tmp,
                word_vocab=np.array(words, dtype=str),
                char_vocab=np.array(chars, dtype=str),
                idf=self.featurizer.idf,
                weights=self.model.weights,
                bias=self.model.bias,
                temperature=np.array([self.model.temperature], dtype=np.float32),
                intents=np.array(self.intents, dtype=str),
            )
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    @classmethod
    def load(cls, path: Path) -> IntentModel:
        with np.load(path, allow_pickle=False) as data:
            words = [str(w) for w in data["word_vocab"]]
            chars = [str(c) for c in data["char_vocab"]]
            featurizer = Featurizer(
                {w: i for i, w in enumerate(words)},
                {c: len(words) + i for i, c in enumerate(chars)},
                data["idf"].astype(np.float32),
            )
            model = SoftmaxModel(
                data["weights"].astype(np.float32),
                data["bias"].astype(np.float32),
                float(data["temperature"][0]),
            )
            intents = [str(i) for i in data["intents"]]
        return cls(featurizer, model, intents)


class NluEngine:
    """Parses one message into the shape of Rasa's /model/parse answer."""

    def __init__(
        self,
        intent_model: IntentModel,
        extractor: EntityExtractor,
        markers: _Markers,
        language: LanguageDetector,
        trained: bool = False,
        training_seconds: float = 0.0,
        nlu_data_dir: Path | None = None,
    ) -> None:
        self.intent_model = intent_model
        self.extractor = extractor
        self._markers = markers
        self.language = language
        # True when this instance trained its model instead of reading the cache.
        self.trained = trained
        self.training_seconds = training_seconds
        # Where the training data came from (cross-validation retrains from it).
        self.nlu_data_dir = nlu_data_dir

    @property
    def intents(self) -> list[str]:
        return list(self.intent_model.intents)

    @classmethod
    def train(
        cls,
        nlu_data_dir: Path,
        extra_values: Mapping[str, Mapping[str, str]] | None = None,
        config: TrainingConfig = TrainingConfig(),
        examples: Sequence[Example] | None = None,
    ) -> NluEngine:
        """Train from ``nlu_data_dir`` (or from ``examples`` when given, e.g. one CV fold)."""
        started = time.perf_counter()
        nlu_data_dir = Path(nlu_data_dir)
        all_examples = load_examples(nlu_data_dir)
        if examples is None:
            examples = all_examples
        if not examples:
            raise ValueError("no intent examples in the NLU training data")
        extractor = EntityExtractor(
            build_dictionaries(nlu_data_dir, extra_values), training_words(all_examples)
        )
        markers = _Markers(load_regexes(nlu_data_dir))
        docs = []
        for example in examples:
            toks = normalized_tokens(example.text)
            entities = extractor.extract(example.text, toks)
            docs.append(([t.text for t in toks], markers(example.text, entities)))
        model = IntentModel.train(docs, [e.intent for e in examples], config)
        return cls(
            model,
            extractor,
            markers,
            LanguageDetector(),
            trained=True,
            training_seconds=time.perf_counter() - started,
            nlu_data_dir=nlu_data_dir,
        )

    @staticmethod
    def is_cached(nlu_data_dir: Path, cache_dir: Path) -> bool:
        return _cache_path(Path(nlu_data_dir), cache_dir).exists()

    @classmethod
    def load_or_train(
        cls,
        nlu_data_dir: Path,
        cache_dir: Path,
        extra_values: Mapping[str, Mapping[str, str]] | None = None,
    ) -> NluEngine:
        """The cached model for these training files, trained and cached on a miss."""
        nlu_data_dir = Path(nlu_data_dir)
        cache_path = _cache_path(nlu_data_dir, cache_dir)
        if cache_path.exists():
            try:
                model = IntentModel.load(cache_path)
            except (OSError, ValueError, KeyError) as exc:
                logger.warning("nlu: unreadable model cache, retraining (%s)", type(exc).__name__)
            else:
                all_examples = load_examples(nlu_data_dir)
                extractor = EntityExtractor(
                    build_dictionaries(nlu_data_dir, extra_values), training_words(all_examples)
                )
                markers = _Markers(load_regexes(nlu_data_dir))
                return cls(model, extractor, markers, LanguageDetector(), nlu_data_dir=nlu_data_dir)
        engine = cls.train(nlu_data_dir, extra_values)
        try:
            engine.intent_model.save(cache_path)
        except OSError as exc:
            logger.warning("nlu: could not write the model cache (%s)", type(exc).__name__)
        logger.info("nlu: trained in %.2fs", engine.training_seconds)
        return engine

    def _empty(self, text: str) -> dict:
        return {
            "text": text,
            "intent": {"name": FALLBACK_INTENT, "confidence": 0.0},
            "entities": [],
            "intent_ranking": [{"name": FALLBACK_INTENT, "confidence": 0.0}],
            "language": None,  # a button or an empty text: the conversation keeps its language
        }

    def _from_payload(self, text: str, intent: str, entities: list[dict]) -> dict:
        if intent not in self.intent_model.intents:
            result = self._empty(text)
            return result
        return {
            "text": text,
            "intent": {"name": intent, "confidence": 1.0},
            "entities": entities,
            "intent_ranking": [{"name": intent, "confidence": 1.0}],
            "language": None,  # a button or an empty text: the conversation keeps its language
        }

    def parse(self, text: str) -> dict:
        """Rasa /model/parse shape: text, intent, entities, intent_ranking, plus language."""
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        if text.startswith("/"):
            payload = parse_payload(text[:MAX_PARSE_CHARS * 4])
            if payload is not None:
                return self._from_payload(text, *payload)
        visible = text[:MAX_PARSE_CHARS]
        toks: list[Token] = normalized_tokens(visible)
        if not toks:
            return self._empty(text)
        words = [t.text for t in toks]
        entities = self.extractor.extract(visible, toks)
        proba = self.intent_model.proba(words, self._markers(visible, entities))
        order = np.argsort(-proba)[:RANKING_SIZE]
        intents = self.intent_model.intents
        ranking = [{"name": intents[i], "confidence": round(float(proba[i]), 4)} for i in order]
        return {
            "text": text,
            "intent": dict(ranking[0]),
            "entities": entities,
            "intent_ranking": ranking,
            "language": self.language.detect(words),
        }
