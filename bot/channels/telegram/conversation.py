"""One Telegram update in, the core's replies out.

Group rule (privacy: many users are minors): the core is only ever called for private chats.
In a group or supergroup the bot stays silent unless addressed (mention, reply to the bot,
command); then it posts one short generic invitation to write in private. It never posts a
personal answer, buttons, or anything derived from a person's state in a group.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timezone

from telegram import Bot, ChatMember, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.channels.replies import ReplyOutbox
from bot.channels.telegram.adapter import (
    CHANNEL,
    group_invitation,
    is_addressed_to_bot,
    is_private,
    update_to_incoming,
)
from bot.channels.telegram.callback_data import ButtonCodec
from bot.channels.telegram.port import TelegramPort
from bot.channels.telegram.privacy import chat_ref
from bot.core.errors import user_message_for
from bot.core.messages import Reply
from bot.core.outbound import SendStatus
from bot.core.ports import MessageHandler, PersonDirectory

log = logging.getLogger(__name__)

# Telegram shows "typing…" for about 5 s per sendChatAction; renew a bit before it fades.
TYPING_RENEW_SECONDS = 4.5


class TelegramConversation:
    def __init__(
        self,
        handler: MessageHandler,
        port: TelegramPort,
        persons: PersonDirectory,
        codec: ButtonCodec,
        *,
        typing_delay: float = 0.5,
        replies: ReplyOutbox | None = None,
    ) -> None:
        """``replies``: the durable outbox for answers (always, in a running bot); without
        it (the channel's own unit tests) answers go straight to the port after the turn."""
        self._reply_outbox = replies
        self._handler = handler
        self._port = port
        self._persons = persons
        self._codec = codec
        self._typing_delay = typing_delay

    async def __call__(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        bot = context.bot
        chat = update.effective_chat
        if update.my_chat_member is not None:
            await self._on_membership(update)
            return
        if update.callback_query is not None:
            await self._answer_callback(update)
        if not is_private(chat):
            await self._in_group(update, bot)
            return
        data = update.callback_query.data if update.callback_query is not None else None
        if self._codec.needs_store(data):
            # A long payload's key is looked up in the shared store: off the event loop.
            incoming = await asyncio.to_thread(update_to_incoming, update, self._codec)
        else:
            incoming = update_to_incoming(update, self._codec)
        if incoming is None:
            return
        await self._port.mark_reachable(chat.id)
        if self._reply_outbox is not None:
            # Written to the outbox with the turn (bot.channels.replies), then sent from there.
            received_at = datetime.now(timezone.utc)
            settle = self._reply_outbox.settle(CHANNEL, str(chat.id), received_at)
            async with self._typing(bot, chat.id):
                await self._handler.handle(replace(incoming, sent_at=received_at), settle=settle)
            return
        await self._touch(chat.id)
        async with self._typing(bot, chat.id):
            replies = await self._replies(incoming)
        for reply in replies:
            result = await self._port.send(CHANNEL, str(chat.id), reply)
            if result.status is SendStatus.UNREACHABLE:
                break

    async def _replies(self, incoming) -> list[Reply]:
        try:
            return list(await self._handler.handle(incoming))
        except Exception as exc:
            # The core should answer its own errors; this is the last resort so the person
            # still gets a French answer. Only the error type is logged, never the text.
            log.error("core failed on telegram chat=%s: %s", chat_ref(incoming.user_id), type(exc).__name__)
            return [Reply(text=user_message_for(exc))]

    async def _answer_callback(self, update: Update) -> None:
        # Stops the spinner on the pressed button; failing to do so must not lose the choice.
        try:
            await update.callback_query.answer()
        except TelegramError as exc:
            chat = chat_ref(update.effective_chat.id)
            log.info("answerCallbackQuery failed chat=%s: %s", chat, type(exc).__name__)

    async def _in_group(self, update: Update, bot: Bot) -> None:
        message = update.message
        if message is None or not is_addressed_to_bot(message, bot.id, bot.username):
            return
        await self._port.send(CHANNEL, str(update.effective_chat.id), group_invitation(bot.username))

    async def _on_membership(self, update: Update) -> None:
        chat = update.effective_chat
        if not is_private(chat):
            return
        status = update.my_chat_member.new_chat_member.status
        if status in (ChatMember.BANNED, ChatMember.LEFT):
            # Telegram tells us right away when a person blocks the bot.
            await self._port.mark_blocked(chat.id)
        elif status == ChatMember.MEMBER:
            await self._port.mark_reachable(chat.id)

    async def _touch(self, chat_id: int) -> None:
        try:
            await asyncio.to_thread(self._persons.touch_inbound, CHANNEL, str(chat_id), datetime.now(timezone.utc))
        except Exception as exc:
            log.error("touch_inbound failed chat=%s: %s", chat_ref(chat_id), type(exc).__name__)

    @contextlib.asynccontextmanager
    async def _typing(self, bot: Bot, chat_id: int) -> AsyncIterator[None]:
        task = asyncio.create_task(self._show_typing(bot, chat_id))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _show_typing(self, bot: Bot, chat_id: int) -> None:
        await asyncio.sleep(self._typing_delay)
        while True:
            try:
                await bot.send_chat_action(chat_id=chat_id, action=ChatAction.TYPING)
            except TelegramError as exc:
                log.info("sendChatAction failed chat=%s: %s", chat_ref(chat_id), type(exc).__name__)
                return
            await asyncio.sleep(TYPING_RENEW_SECONDS)
