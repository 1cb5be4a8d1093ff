"""Quality gate: the intent classifier on messages it never saw."""
from bot.nlu.dataset import load_examples
from bot.nlu.evaluation import evaluate, score
from bot.nlu.text import normalize
from tests.nlu.conftest import HELDOUT, NLU_DATA


def test_heldout_set_is_not_copied_from_training_data():
    training = {normalize(e.text) for e in load_examples(NLU_DATA)}
    heldout = load_examples(HELDOUT)
    assert [e.text for e in heldout if normalize(e.text) in training] == []
    counts = {}
    for example in heldout:
        counts[example.intent] = counts.get(example.intent, 0) + 1
    assert min(counts.values()) >= 12


def test_heldout_macro_f1_at_least_090(engine):
    report = evaluate(engine, load_examples(HELDOUT))
    assert report.macro_f1 >= 0.90, report.as_text()


def test_score_counts_confusions():
    report = score(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    assert report.accuracy == 0.75
    assert report.confusions == {("a", "b"): 1}
    f1_a, f1_b = 2 / 3, 0.8
    assert abs(report.macro_f1 - (f1_a + f1_b) / 2) < 1e-9
