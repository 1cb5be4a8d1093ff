"""Text echoed to a terminal must not drive it.

A young person's message, a name or a catalogue cell could carry escape sequences
(clear the screen, rewrite a line, set the window title, make a link) or direction
overrides: all are removed before anything reaches a coordinator's terminal.
"""
from __future__ import annotations

import re
from typing import TextIO

# ESC-led sequences: CSI (ESC [ ... final), OSC (ESC ] ... BEL or ESC \), and two-byte escapes.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[@-Z\\-_]?"
    r"|\x9b[0-?]*[ -/]*[@-~]"
)
# Other C0/C1 controls (newline, tab and carriage return are layout, kept) and bidi overrides.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


class TerminalSafeStream:
    """Wraps stdout/stderr for the whole CLI, so no output path can forget to clean."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(terminal_safe(text))
        return len(text)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)
