"""Side-by-side benchmark: our NLU engine vs. a stock Rasa 3.6 pipeline.

Both engines train on the same, unmodified nlu_data/ and are scored on the
same held-out file. Our engine is only used through load_or_train() and
parse(), so this script keeps working whatever its internals become. Rasa
lives in its own Python 3.10 venv (it cannot be installed next to the
project's 3.11 dependencies) and is driven through its CLI and HTTP API.

Usage (from anywhere, with the project's interpreter):
    .venv/bin/python bench/rasa_compare.py [--rasa-venv /work/rasa-venv]
        [--heldout tests/data/nlu_heldout.yml] [--only ours|rasa|both]
"""

from __future__ import annotations

import argparse
import http.client
import importlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import yaml

REPO = Path(__file__).resolve().parent.parent
RASA_DIR = Path(__file__).resolve().parent / "rasa"

# Same grammar as rasa.shared.nlu.training_data.entities_parser.ENTITY_REGEX,
# so gold spans are exactly the ones Rasa itself would read.
ENTITY_RE = re.compile(
    r"\[(?P<text>[^\]]+?)\]"
    r"(\((?P<entity>[^:)]+?)(?::(?P<value>[^)]+))?\)"
    r"|\{(?P<dict>[^}]+?)\}"
    r"|\[(?P<dicts>.*?)\])"
)


# --------------------------------------------------------------------------
# Held-out set
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class GoldEntity:
    entity: str
    start: int
    end: int
    value: str


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    entities: tuple[GoldEntity, ...]


def parse_annotated(line: str) -> tuple[str, tuple[GoldEntity, ...]]:
    """Strip Rasa entity markup and return the plain text plus gold spans."""
    plain: list[str] = []
    entities: list[GoldEntity] = []
    cursor = 0
    length = 0
    for match in ENTITY_RE.finditer(line):
        before = line[cursor : match.start()]
        plain.append(before)
        length += len(before)
        surface = match.group("text")
        start, end = length, length + len(surface)
        plain.append(surface)
        length = end
        cursor = match.end()
        for name, value in _annotation_targets(match, surface):
            entities.append(GoldEntity(name, start, end, value))
    plain.append(line[cursor:])
    return "".join(plain), tuple(entities)


def _annotation_targets(match: re.Match, surface: str) -> list[tuple[str, str]]:
    if match.group("entity"):
        return [(match.group("entity"), match.group("value") or surface)]
    raw = match.group("dict")
    dicts = [json.loads("{" + raw + "}")] if raw else json.loads("[" + match.group("dicts") + "]")
    return [(d["entity"], str(d.get("value", surface))) for d in dicts]


def load_heldout(path: Path) -> list[Example]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    examples: list[Example] = []
    for item in doc.get("nlu") or []:
        intent = item.get("intent") if isinstance(item, dict) else None
        if not intent:
            continue  # synonyms / lookups / regexes are not test cases
        raw = item.get("examples") or []
        lines = raw.splitlines() if isinstance(raw, str) else raw
        for entry in lines:
            text = entry.get("text", "") if isinstance(entry, dict) else str(entry)
            text = text.strip()
            if text.startswith("- "):
                text = text[2:]
            text = text.strip()
            if text:
                plain, ents = parse_annotated(text)
                examples.append(Example(plain, str(intent), ents))
    if not examples:
        raise SystemExit(f"no intent examples found in {path}")
    return examples


# --------------------------------------------------------------------------
# Metrics (plain Python, only the parse() output shape is assumed)
# --------------------------------------------------------------------------


@dataclass
class Run:
    name: str
    predicted: list[str] = field(default_factory=list)
    entities: list[list[dict]] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    extra: dict = field(default_factory=dict)


def record(run: Run, result: dict, elapsed_s: float) -> None:
    intent = (result or {}).get("intent") or {}
    run.predicted.append(str(intent.get("name") or "<none>"))
    run.entities.append(list((result or {}).get("entities") or []))
    run.latencies_ms.append(elapsed_s * 1000.0)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))  # nearest-rank
    return ordered[int(rank) - 1]


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def intent_scores(gold: list[str], pred: list[str]) -> dict:
    """Accuracy, macro/weighted F1 over the intents present in the gold set.

    Predictions outside the gold label set (e.g. a fallback intent) count as
    errors but do not add an extra zero-F1 class to the macro average.
    """
    labels = sorted(set(gold))
    support = Counter(gold)
    per_label = {}
    for label in labels:
        tp = sum(1 for g, p in zip(gold, pred) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, pred) if g != label and p == label)
        fn = support[label] - tp
        per_label[label] = prf(tp, fp, fn)[2]
    total = len(gold)
    return {
        "accuracy": sum(g == p for g, p in zip(gold, pred)) / total,
        "macro_f1": sum(per_label.values()) / len(labels),
        "weighted_f1": sum(per_label[lbl] * support[lbl] for lbl in labels) / total,
        "per_intent_f1": per_label,
    }


def entity_scores(gold: list[Example], predicted: list[list[dict]]) -> dict:
    """Micro F1 on exact spans, and on (entity, normalised value) pairs."""
    span_tp = span_fp = span_fn = val_tp = val_fp = val_fn = 0
    for example, ents in zip(gold, predicted):
        gold_spans = {(e.entity, e.start, e.end) for e in example.entities}
        pred_spans = {(e.get("entity"), e.get("start"), e.get("end")) for e in ents}
        span_tp += len(gold_spans & pred_spans)
        span_fp += len(pred_spans - gold_spans)
        span_fn += len(gold_spans - pred_spans)
        gold_vals = Counter((e.entity, _norm(e.value)) for e in example.entities)
        # Two extractors may emit the same entity on one span: count identical
        # (span, value) once, but keep disagreeing values (one of them is wrong).
        unique = {(e.get("entity"), e.get("start"), e.get("end"), _norm(e.get("value")))
                  for e in ents}
        pred_vals = Counter((name, value) for name, _, _, value in unique)
        common = sum((gold_vals & pred_vals).values())
        val_tp += common
        val_fp += sum(pred_vals.values()) - common
        val_fn += sum(gold_vals.values()) - common
    return {
        "gold_entities": sum(len(e.entities) for e in gold),
        "span_f1": prf(span_tp, span_fp, span_fn)[2],
        "value_f1": prf(val_tp, val_fp, val_fn)[2],
    }


def _norm(value: object) -> str:
    return " ".join(str(value).casefold().split())


def summarise(run: Run, gold: list[Example]) -> dict:
    scores = intent_scores([e.intent for e in gold], run.predicted)
    total_s = sum(run.latencies_ms) / 1000.0
    return {
        **scores,
        **entity_scores(gold, run.entities),
        "latency_p50_ms": percentile(run.latencies_ms, 50),
        "latency_p99_ms": percentile(run.latencies_ms, 99),
        "parses_per_s": len(run.latencies_ms) / total_s if total_s else float("inf"),
        **run.extra,
    }


# --------------------------------------------------------------------------
# Process memory (Linux /proc, no psutil in the project venv)
# --------------------------------------------------------------------------


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                stack.extend(int(c) for c in children.read_text().split())
            except OSError:
                continue
    return found


def tree_rss_mb(pid: int) -> float:
    return sum(_status_kb(p, "VmRSS") for p in _descendants(pid)) / 1024.0


# --------------------------------------------------------------------------
# Our engine (in-process)
# --------------------------------------------------------------------------


def run_ours(engine_ref: str, nlu_dir: Path, gold: list[Example], workdir: Path) -> Run:
    rss_before = _status_kb(os.getpid(), "VmRSS") / 1024.0
    module_name, _, attr = engine_ref.partition(":")
    engine_cls = getattr(importlib.import_module(module_name), attr)
    cache = workdir / "ours-cache"
    t0 = time.perf_counter()
    engine = engine_cls.load_or_train(nlu_dir, cache)  # empty cache: forces training
    train_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    engine = engine_cls.load_or_train(nlu_dir, cache)  # warm cache: cold-start cost
    load_s = time.perf_counter() - t0

    run = Run("ours")
    engine.parse(gold[0].text)  # warm-up, not timed
    for example in gold:
        t0 = time.perf_counter()
        result = engine.parse(example.text)
        record(run, result, time.perf_counter() - t0)
    run.extra = {
        "train_s": train_s,
        "load_s": load_s,
        "rss_mb": _status_kb(os.getpid(), "VmRSS") / 1024.0,
        "rss_delta_mb": _status_kb(os.getpid(), "VmRSS") / 1024.0 - rss_before,
        "latency_kind": "in-process",
    }
    return run


# --------------------------------------------------------------------------
# Rasa (subprocess + HTTP)
# --------------------------------------------------------------------------


def rasa_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        RASA_TELEMETRY_ENABLED="false",  # the benchmark must never phone home
        TF_CPP_MIN_LOG_LEVEL="2",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        PYTHONWARNINGS="ignore::DeprecationWarning",
    )
    return env


def tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def validate_with_rasa(venv: Path, nlu_dir: Path, workdir: Path) -> dict:
    proc = subprocess.run(
        [str(venv / "bin" / "python"), str(RASA_DIR / "validate_nlu.py"), str(nlu_dir)],
        cwd=workdir, env=rasa_env(), capture_output=True, text=True, timeout=600,
    )
    if proc.returncode != 0:
        raise RuntimeError("Rasa could not load nlu_data/:\n" + tail(proc.stderr, 40))
    return json.loads(proc.stdout.strip().splitlines()[-1])


def train_rasa(venv: Path, nlu_dir: Path, config: Path, workdir: Path) -> tuple[Path, float]:
    out = workdir / "rasa-models"
    cmd = [
        str(venv / "bin" / "rasa"), "train", "nlu", "--nlu", str(nlu_dir),
        "--config", str(config), "--out", str(out), "--fixed-model-name", "bench",
    ]
    t0 = time.perf_counter()
    # cwd=workdir: Rasa writes its .rasa/cache into the working directory.
    proc = subprocess.run(cmd, cwd=workdir, env=rasa_env(), capture_output=True, text=True,
                          timeout=3600)
    elapsed = time.perf_counter() - t0
    (workdir / "rasa-train.log").write_text(proc.stdout + proc.stderr)
    model = out / "bench.tar.gz"
    if proc.returncode != 0 or not model.exists():
        raise RuntimeError(f"`{' '.join(cmd)}` failed (rc={proc.returncode}):\n"
                           + tail(proc.stdout + proc.stderr, 40))
    return model, elapsed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_json(conn: http.client.HTTPConnection, method: str, path: str,
              body: dict | None = None) -> tuple[int, dict]:
    payload = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if payload else {}
    conn.request(method, path, body=payload, headers=headers)
    response = conn.getresponse()
    data = response.read()
    return response.status, (json.loads(data) if data else {})


def wait_ready(port: int, server: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"rasa run exited early (rc={server.returncode})")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            status, body = http_json(conn, "GET", "/status")
            conn.close()
            if status == 200 and body.get("model_file"):
                return
        except (OSError, http.client.HTTPException, ValueError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"rasa server not ready after {timeout_s:.0f}s")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)  # own session: only the server we started
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


def run_rasa(venv: Path, nlu_dir: Path, config: Path, gold: list[Example], workdir: Path,
             log: Callable[[str], None]) -> Run:
    stats = validate_with_rasa(venv, nlu_dir, workdir)
    log(f"Rasa loaded nlu_data/: {stats['examples']} examples, {len(stats['intents'])} intents, "
        f"entities={stats['entities']}, {stats['synonyms']} synonyms, "
        f"{stats['lookup_tables']} lookup tables, {stats['regex_features']} regexes")
    for warning in stats["warnings"]:
        log(f"  Rasa warning: {warning}")
    log("training Rasa NLU (DIET, 100 epochs)...")
    model, train_s = train_rasa(venv, nlu_dir, config, workdir)
    log(f"  trained in {train_s:.1f}s -> {model}")

    port = free_port()
    server_log = (workdir / "rasa-server.log").open("w")
    cmd = [str(venv / "bin" / "rasa"), "run", "--enable-api", "-m", str(model),
           "-i", "127.0.0.1", "--port", str(port)]
    t0 = time.perf_counter()
    server = subprocess.Popen(cmd, cwd=workdir, env=rasa_env(), stdout=server_log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        try:
            wait_ready(port, server, timeout_s=600)
        except RuntimeError as exc:
            server_log.flush()
            raise RuntimeError(f"{exc}\n" + tail((workdir / "rasa-server.log").read_text())) from exc
        load_s = time.perf_counter() - t0
        log(f"  server ready on 127.0.0.1:{port} after {load_s:.1f}s")
        run = Run("rasa")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        http_json(conn, "POST", "/model/parse", {"text": gold[0].text})  # warm-up
        for example in gold:
            t0 = time.perf_counter()
            status, body = http_json(conn, "POST", "/model/parse", {"text": example.text})
            elapsed = time.perf_counter() - t0
            if status != 200:
                raise RuntimeError(f"/model/parse answered HTTP {status}")
            record(run, body, elapsed)
        # Cost of the HTTP round trip alone, so the parse latency can be read net of it.
        floor = []
        for _ in range(100):
            t0 = time.perf_counter()
            http_json(conn, "GET", "/version")
            floor.append((time.perf_counter() - t0) * 1000.0)
        conn.close()
        run.extra = {
            "http_floor_p50_ms": percentile(floor, 50),
            "train_s": train_s,
            "load_s": load_s,
            "rss_mb": tree_rss_mb(server.pid),
            "peak_rss_mb": _status_kb(server.pid, "VmHWM") / 1024.0,
            "latency_kind": "HTTP keep-alive",
        }
        return run
    finally:
        stop(server)
        server_log.close()


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------

ROWS = [
    ("intent accuracy", "accuracy", "{:.3f}"),
    ("intent macro-F1", "macro_f1", "{:.3f}"),
    ("intent weighted-F1", "weighted_f1", "{:.3f}"),
    ("entity F1 (exact span)", "span_f1", "{:.3f}"),
    ("entity F1 (value)", "value_f1", "{:.3f}"),
    ("parse p50 (ms)", "latency_p50_ms", "{:.3f}"),
    ("parse p99 (ms)", "latency_p99_ms", "{:.3f}"),
    ("parses / s", "parses_per_s", "{:.0f}"),
    ("HTTP floor p50 (ms)", "http_floor_p50_ms", "{:.3f}"),
    ("latency measured", "latency_kind", "{}"),
    ("training time (s)", "train_s", "{:.1f}"),
    ("load / startup (s)", "load_s", "{:.1f}"),
    ("RSS (MB)", "rss_mb", "{:.0f}"),
]


def cell(summary: dict | None, key: str, fmt: str) -> str:
    if summary is None:
        return "n/a"
    value = summary.get(key)
    return "-" if value is None else fmt.format(value)


def print_report(results: dict[str, dict | None], gold: list[Example]) -> None:
    ours, rasa = results.get("ours"), results.get("rasa")
    intents = sorted({e.intent for e in gold})
    print(f"\nheld-out: {len(gold)} messages, {len(intents)} intents, "
          f"{sum(len(e.entities) for e in gold)} gold entities\n")
    print(f"{'metric':<26}{'ours':>16}{'rasa 3.6':>18}")
    print("-" * 60)
    for label, key, fmt in ROWS:
        print(f"{label:<26}{cell(ours, key, fmt):>16}{cell(rasa, key, fmt):>18}")
    print(f"\n{'per-intent F1':<34}{'n':>5}{'ours':>9}{'rasa':>9}")
    support = Counter(e.intent for e in gold)
    for intent in intents:
        o = "n/a" if ours is None else f"{ours['per_intent_f1'][intent]:.2f}"
        r = "n/a" if rasa is None else f"{rasa['per_intent_f1'][intent]:.2f}"
        print(f"{intent[:33]:<34}{support[intent]:>5}{o:>9}{r:>9}")


def print_errors(runs: dict[str, Run], gold: list[Example], limit: int) -> None:
    """Held-out examples (test data, not user messages) each engine got wrong."""
    for name, run in runs.items():
        print(f"\n{name}: first {limit} errors (gold -> predicted)")
        shown = 0
        for example, intent, ents in zip(gold, run.predicted, run.entities):
            gold_ents = sorted((e.entity, _norm(e.value)) for e in example.entities)
            pred_ents = sorted({(e.get("entity"), _norm(e.get("value"))) for e in ents})
            if intent == example.intent and gold_ents == pred_ents:
                continue
            print(f"  {example.text!r}: {example.intent} -> {intent}"
                  + ("" if gold_ents == pred_ents else f"; {gold_ents} -> {pred_ents}"))
            shown += 1
            if shown >= limit:
                break


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rasa-venv", type=Path, default=Path("/work/rasa-venv"))
    ap.add_argument("--heldout", type=Path, default=REPO / "tests/data/nlu_heldout.yml")
    ap.add_argument("--nlu-data", type=Path, default=REPO / "nlu_data")
    ap.add_argument("--config", type=Path, default=RASA_DIR / "config.yml")
    ap.add_argument("--engine", default="bot.nlu.engine:NluEngine", help="module:Class of our engine")
    ap.add_argument("--only", choices=("ours", "rasa", "both"), default="both")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (models, logs)")
    ap.add_argument("--errors", type=int, default=0, metavar="N",
                    help="also list the first N misparsed held-out examples per engine")
    args = ap.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    gold = load_heldout(args.heldout.resolve())
    nlu_dir = args.nlu_data.resolve()
    workdir = Path(tempfile.mkdtemp(prefix="rasa-bench-"))
    results: dict[str, dict | None] = {"ours": None, "rasa": None}
    runs: dict[str, Run] = {}
    errors: dict[str, str] = {}
    try:
        if args.only in ("ours", "both"):
            log("training + evaluating our engine...")
            try:
                runs["ours"] = run_ours(args.engine, nlu_dir, gold, workdir)
                results["ours"] = summarise(runs["ours"], gold)
            except Exception as exc:  # report and still run Rasa
                errors["ours"] = f"{type(exc).__name__}: {exc}"
                log(f"OUR ENGINE FAILED: {errors['ours']}")
        if args.only in ("rasa", "both"):
            try:
                runs["rasa"] = run_rasa(args.rasa_venv, nlu_dir, args.config.resolve(), gold,
                                        workdir, log)
                results["rasa"] = summarise(runs["rasa"], gold)
            except Exception as exc:
                errors["rasa"] = f"{type(exc).__name__}: {exc}"
                log(f"RASA FAILED: {errors['rasa']}")
    finally:
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    print_report(results, gold)
    if args.errors:
        print_errors(runs, gold, args.errors)
    summary = {
        "heldout_messages": len(gold),
        **{name: ({k: v for k, v in s.items() if k != "per_intent_f1"} if s else None)
           for name, s in results.items()},
        "errors": errors,
    }
    print("\n" + json.dumps(summary, ensure_ascii=False, sort_keys=True))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
