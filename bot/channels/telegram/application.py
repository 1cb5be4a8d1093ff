"""Builds and runs the python-telegram-bot Application of TerraPro (polling or webhook)."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import AsyncIterator

from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.channels.ratelimit import RateLimits
from bot.channels.replies import ReplyOutbox
from bot.channels.telegram.adapter import COMMANDS
from bot.channels.telegram.callback_data import ButtonCodec, callback_keys
from bot.channels.telegram.config import validate_token
from bot.channels.telegram.conversation import TelegramConversation
from bot.channels.telegram.inbox import TelegramInbox
from bot.channels.telegram.media import file_base_url
from bot.channels.telegram.port import TelegramPort, blocked_chats
from bot.channels.telegram.privacy import chat_ref
from bot.channels.telegram.ratelimiter import TelegramRateLimiter
from bot.core.ports import MessageHandler, PersonDirectory
from bot.settings import Settings
from bot.storage.shared_keys import SharedKeyStore

log = logging.getLogger(__name__)

_POLLER_KEY = "terrapro.poller"
_PORT_KEY = "terrapro.port"
# Only what the bot handles; my_chat_member tells us when a person blocks the bot.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]


def build_application(
    settings: Settings,
    handler: MessageHandler,
    persons: PersonDirectory,
    shared: SharedKeyStore,
    *,
    replies: ReplyOutbox | None = None,
    limits: RateLimits | None = None,
) -> Application:
    """Raises TelegramConfigError (clear message, no traceback) on a missing/malformed token.

    ``shared``: where long button payloads and blocked chats live (database or Redis).
    ``replies``: the durable outbox answers go through (see TelegramConversation).
    ``limits``: the process's rate limits (shared through Redis when configured); None: this
    process's own, right only when no other process sends for the bot.
    """
    token = validate_token(settings.telegram_token)
    # The bot's id (before the colon) names its budget; the secret part never leaves here.
    scope = f"telegram:{token.split(':', 1)[0]}"
    application = (
        ApplicationBuilder()
        .token(token)
        # PTB appends the token: ".../bot" + token + "/sendMessage".
        .base_url(settings.telegram_base_url)
        # Voice notes and photos relayed to referents are downloaded from here.
        .base_file_url(file_base_url(settings.telegram_base_url))
        # The one rate limiter of this bot: every send of every kind passes through it.
        .rate_limiter(TelegramRateLimiter(settings.telegram_broadcast_rate, scope=scope, limits=limits))
        .post_init(set_commands)
        .build()
    )
    codec = ButtonCodec(callback_keys(shared))
    port = TelegramPort(application.bot, persons, codec, blocked_chats(shared))
    # bot_data belongs to this Application instance: how relays and broadcasts reach the
    # same port (and its rate limiter) without a global.
    application.bot_data[_PORT_KEY] = port
    application.add_handler(TypeHandler(Update, TelegramConversation(handler, port, persons, codec, replies=replies)))
    application.add_error_handler(log_error)
    return application


def port_of(application: Application) -> TelegramPort:
    """The outbound port for broadcasts and referent relays (same rate limiter as replies)."""
    return application.bot_data[_PORT_KEY]


async def set_commands(application: Application) -> None:
    commands = [BotCommand(c.name, c.description) for c in COMMANDS if c.in_menu]
    try:
        await application.bot.set_my_commands(commands)
    except TelegramError as exc:
        # The menu is a comfort; the bot still works without it.
        log.warning("setMyCommands failed: %s", type(exc).__name__)


async def log_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Registered on the Application so no exception ends the polling loop.

    Logs the error type and the code location only: exception messages can quote what a
    person wrote, so they are left out, and the chat appears as a short hash.
    """
    error = context.error
    chat = update.effective_chat if isinstance(update, Update) else None
    # File, line and function only: even a source line may quote data in a raise statement.
    frames = traceback.extract_tb(error.__traceback__) if error else []
    where = " <- ".join(f"{f.filename}:{f.lineno} {f.name}" for f in reversed(frames))
    log.error(
        "telegram update failed chat=%s: %s at %s",
        chat_ref(chat.id) if chat else "-",
        type(error).__name__,
        where,
    )


async def start_application(
    application: Application, *, poller: TelegramInbox | None = None, poll_timeout: float = 10.0
) -> None:
    """Starts the Application inside an already running event loop.

    Updates never go through PTB's own queue: the webhook (``telegram_routes``) or the
    poller given here writes them to the durable inbox, and the inbox pump hands each
    to ``application.process_update``. Without a poller the bot makes no getUpdates call.
    """
    await application.initialize()
    if application.post_init:
        await application.post_init(application)
    await application.start()
    if poller is not None:
        task = asyncio.get_running_loop().create_task(
            poller.poll(timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES)
        )
        application.bot_data[_POLLER_KEY] = task


async def stop_application(application: Application) -> None:
    """The matching shutdown hook; lets in-flight updates finish."""
    task = application.bot_data.pop(_POLLER_KEY, None)
    if task is not None:
        task.cancel()
        # Bounded: a long poll swallowing the cancellation must not hold the shutdown.
        await asyncio.wait({task}, timeout=5.0)
    if application.running:
        await application.stop()
    await application.shutdown()


@contextlib.asynccontextmanager
async def application_running(
    application: Application, *, poller: TelegramInbox | None = None, poll_timeout: float = 10.0
) -> AsyncIterator[Application]:
    try:
        await start_application(application, poller=poller, poll_timeout=poll_timeout)
        yield application
    finally:
        await stop_application(application)
