"""The `terrapro` entry point: coordinator commands."""
from __future__ import annotations

from bot.cli import main
from bot.settings import Settings
from bot.storage.database import Database
from bot.storage.delivery_status import DeliveryStatusRepository


def test_stats_envois_shows_statuses_and_error_codes(tmp_path, tmp_path_factory, monkeypatch, capsys):
    monkeypatch.setenv("TERRAPRO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TERRAPRO_NLU_CACHE_DIR", str(tmp_path_factory.mktemp("nlu")))
    monkeypatch.delenv("TERRAPRO_DATABASE_URL", raising=False)
    monkeypatch.delenv("TERRAPRO_REDIS_URL", raising=False)
    db = Database.from_url(Settings().effective_database_url)
    db.create_schema()
    repo = DeliveryStatusRepository(db)
    repo.record_status("whatsapp", "wamid.1", "delivered")
    repo.count_error("whatsapp", 131026)
    db.dispose()

    assert main(["stats", "envois"]) == 0
    out = capsys.readouterr().out
    assert "delivered 1" in out
    assert "131026 ×1" in out


def test_questions_never_echo_terminal_escape_sequences(tmp_path, tmp_path_factory, monkeypatch, capsys):
    from bot.app import build_storage

    monkeypatch.setenv("TERRAPRO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TERRAPRO_NLU_CACHE_DIR", str(tmp_path_factory.mktemp("nlu")))
    monkeypatch.delenv("TERRAPRO_DATABASE_URL", raising=False)
    monkeypatch.delenv("TERRAPRO_REDIS_URL", raising=False)
    storage = build_storage(Settings())
    pid = storage.persons.get_or_create("telegram", "42").id
    storage.unanswered.record(pid, "\x1b]0;titre\x07\x1b[2Jc'est \x1b[31mrouge\x1b[0m \u202eesrever", "nlu_fallback", 0.1, "fr")
    storage.db.dispose()

    assert main(["questions"]) == 0
    out = capsys.readouterr().out
    assert "c'est rouge esrever" in out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
def test_safety_eval_prints_precision_and_recall(capsys):
    assert main(["safety", "eval"]) == 0
    out = capsys.readouterr().out
    assert "Précision : " in out and "Rappel    : " in out


def test_safety_eval_reports_a_broken_list_clearly(tmp_path, monkeypatch, capsys):
    import shutil

    from bot.settings import PROJECT_ROOT

    content = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", content)
    safety = content / "safety.yml"
    safety.write_text(safety.read_text(encoding="utf-8").replace('"{vouloir} [plus] mourir"', '"{vouloire} mourir"'),
                      encoding="utf-8")
    monkeypatch.setenv("TERRAPRO_CONTENT_DIR", str(content))
    assert main(["safety", "eval"]) == 2
    err = capsys.readouterr().err
    assert "safety.yml" in err and "groupe inconnu « vouloire »" in err
