from __future__ import annotations

import io

import pytest

from bot.core.terminal import TerminalSafeStream, terminal_safe


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[31mrouge\x1b[0m", "rouge"),
        ("\x1b[2J\x1b[Hécran", "écran"),
        ("\x1b]0;titre\x07texte", "texte"),
        ("\x1b]8;;http://x\x1b\\lien\x1b]8;;\x1b\\", "lien"),
        ("a\x00b\x08c\x7fd\x85e", "abcde"),
        ("\x9b1mgras", "gras"),
        ("\u202eesrever\u202c", "esrever"),
        ("deux\nlignes\tet tab", "deux\nlignes\tet tab"),
        ("Sédhiou, 1 000 FCFA 👍", "Sédhiou, 1 000 FCFA 👍"),
    ],
)
def test_terminal_safe(raw, shown):
    assert terminal_safe(raw) == shown


def test_stream_wrapper_cleans_every_write():
    buffer = io.StringIO()
    stream = TerminalSafeStream(buffer)
    print("\x1b[31mx\x1b[0m", file=stream)
    assert buffer.getvalue() == "x\n"
