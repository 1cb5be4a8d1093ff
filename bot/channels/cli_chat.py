"""`terrapro chat`: the bot in a terminal, interactive or with piped stdin.

Buttons are shown as numbered choices; answering with the number presses the button.
"""
from __future__ import annotations

import sys
from typing import TextIO

from bot.core.messages import Button, IncomingMessage, MessageKind, Reply
from bot.core.ports import MessageHandler

CHANNEL = "cli"


def render(replies: list[Reply]) -> str:
    lines = []
    number = 0
    for reply in replies:
        lines.append(f"bot> {reply.text.replace(chr(10), chr(10) + '     ')}")
        for button in reply.buttons:
            number += 1
            lines.append(f"     [{number}] {button.title}")
    return "\n".join(lines)


def render_buttons(buttons: tuple[Button, ...]) -> str:
    return "\n".join(f"     [{n}] {b.title}" for n, b in enumerate(buttons, start=1))


def to_message(line: str, user_id: str, last_replies: list[Reply]) -> IncomingMessage:
    """A bare number answers the last numbered choices; anything else is text."""
    choices = [b for r in last_replies for b in r.buttons]
    stripped = line.strip()
    if stripped.isdigit() and 1 <= int(stripped) <= len(choices):
        button = choices[int(stripped) - 1]
        return IncomingMessage(CHANNEL, user_id, text=button.title, kind=MessageKind.BUTTON, payload=button.payload)
    return IncomingMessage(CHANNEL, user_id, text=line)


async def chat(
    handler: MessageHandler,
    user_id: str,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    resume: tuple[Button, ...] = (),
) -> None:
    """``resume``: the buttons shown at the end of the person's last session, still answerable by number."""
    interactive = stdin.isatty()
    if interactive:
        print("TerraPro — écris ton message (Ctrl-D pour quitter).", file=stdout)
    last: list[Reply] = [Reply("", resume)] if resume else []
    if interactive and resume:
        print(render_buttons(resume), file=stdout)
    while True:
        if interactive:
            print("toi> ", end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line:
            break
        line = line.rstrip("\n")
        if not interactive:
            print(f"toi> {line}", file=stdout)
        last = await handler.handle(to_message(line, user_id, last))
        print(render(last), file=stdout, flush=True)
