import argparse
import io
import json

from bot.nlu import cli
from tests.nlu.conftest import HELDOUT


def make_parser(engine):
    parser = argparse.ArgumentParser(prog="terrapro")
    cli.register(parser.add_subparsers(dest="command"), lambda: engine)
    return parser


def test_parse_one_message(engine, capsys):
    args = make_parser(engine).parse_args(["nlu", "parse", "kañ la portes ouvertes yi ?"])
    assert args.run(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["intent"]["name"] == "open_days"
    assert "kañ" in result["text"]


def test_parse_stdin_lines(engine):
    out = io.StringIO()
    cli.run_parse(engine, None, stdin=io.StringIO("bonjour\nstop\n\nñaata la ?\n"), out=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["intent"]["name"] for line in lines] == ["greet", "unsubscribe_alerts", "out_of_scope", "training_details"]
    assert '"text": "ñaata la ?"' in out.getvalue()  # ensure_ascii=False


def test_test_command_prints_scores(engine, capsys):
    args = make_parser(engine).parse_args(["nlu", "test", str(HELDOUT)])
    assert args.run(args) == 0
    out = capsys.readouterr().out
    assert "accuracy:" in out and "macro-F1:" in out and "weighted-F1:" in out
    assert "search_training" in out


def test_test_command_rejects_missing_file(engine, tmp_path):
    assert cli.run_test(engine, tmp_path / "absent.yml") == 2


def test_crossval_command_reports_scores(engine, tmp_path, capsys):
    from bot.nlu.engine import NluEngine

    data = tmp_path / "data"
    data.mkdir()
    (data / "nlu.yml").write_text(
        'version: "3.1"\nnlu:\n'
        "- intent: greet\n  examples: |\n    - bonjour\n    - salut\n    - bjr\n    - slt toi\n"
        "- intent: goodbye\n  examples: |\n    - au revoir\n    - a plus\n    - bye\n    - ba beneen\n",
        encoding="utf-8",
    )
    small = NluEngine.load_or_train(data, tmp_path / "cache")
    args = make_parser(small).parse_args(["nlu", "crossval", "--folds", "2"])
    assert args.run(args) == 0
    out = capsys.readouterr().out
    assert "2-fold cross-validation" in out and "macro-F1:" in out
