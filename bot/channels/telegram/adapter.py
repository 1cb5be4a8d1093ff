"""Translation between Telegram updates and the core's messages (pure functions, no I/O)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import (
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
)

from bot.channels.telegram.callback_data import ButtonCodec
from bot.core.messages import Button, IncomingMessage, Location, MediaRef, MessageKind, Reply

CHANNEL = "telegram"
MAX_TEXT_CHARS = 4096
# Titles up to this length sit two per row; longer ones get their own row so they stay readable.
SHORT_TITLE_CHARS = 16
# Telegram refuses an empty text; a reply made of buttons only gets this lead-in.
BUTTONS_ONLY_TEXT = "Choisis :"


@dataclass(frozen=True)
class Command:
    name: str  # without the slash, as typed after "/"
    payload: str  # the intent the core receives
    description: str  # shown in Telegram's command menu (French)
    in_menu: bool = True


# The one table of commands: setMyCommands and the update translation both read it.
COMMANDS: tuple[Command, ...] = (
    Command("start", "/greet", "Commencer"),
    Command("aide", "/help", "Que peut faire le bot ?"),
    Command("stop", "/unsubscribe_alerts", "Ne plus recevoir d'annonces"),
    Command("help", "/help", "", in_menu=False),
)
_COMMANDS_BY_NAME = {command.name: command for command in COMMANDS}


def update_to_incoming(update: Update, codec: ButtonCodec) -> IncomingMessage | None:
    """The core's view of an update, or None for updates the bot does not answer."""
    chat = update.effective_chat
    if chat is None:
        return None
    user = update.effective_user
    common: dict[str, Any] = {
        "channel": CHANNEL,
        "user_id": str(chat.id),
        # First name only: last name, username and phone never reach the core.
        "display_name": (user.first_name or None) if user else None,
        # update_id is unique per bot and is what Telegram redelivers on webhook retries.
        "message_id": str(update.update_id),
    }
    if update.callback_query is not None:
        return _button_press(update, codec, common)
    if update.message is not None:
        return _message(update.message, common)
    # Edited messages, channel posts, polls...: nothing for the core to answer.
    return None


def _button_press(update: Update, codec: ButtonCodec, common: dict[str, Any]) -> IncomingMessage:
    query = update.callback_query
    payload, title = codec.decode(query.data)
    if payload is None:
        # Unknown or expired key: an empty choice, the core answers politely.
        return IncomingMessage(kind=MessageKind.BUTTON, payload=None, text="", **common)
    title = _title_on_keyboard(query.message, query.data) or title or ""
    return IncomingMessage(kind=MessageKind.BUTTON, payload=payload, text=title, **common)


def _title_on_keyboard(message: object, data: str | None) -> str | None:
    # The pressed message still carries its keyboard: the most faithful source of the title.
    markup = getattr(message, "reply_markup", None)
    for row in getattr(markup, "inline_keyboard", ()) or ():
        for button in row:
            if button.callback_data == data:
                return button.text
    return None


def _message(message: Message, common: dict[str, Any]) -> IncomingMessage:
    command = command_of(message)
    if command is not None:
        return IncomingMessage(kind=MessageKind.BUTTON, payload=command.payload, text="", **common)
    if message.text is not None:
        return IncomingMessage(kind=MessageKind.TEXT, text=message.text, **common)
    if message.location is not None:
        location = Location(message.location.latitude, message.location.longitude)
        return IncomingMessage(kind=MessageKind.LOCATION, location=location, **common)
    # A caption may hold a question ("c'est où ça ?"); the core decides what to do with it.
    caption = message.caption or ""
    return IncomingMessage(kind=media_kind(message), text=caption, media=media_ref(message), **common)


def media_ref(message: Message) -> MediaRef | None:
    """Voice notes, audio files and photos (the largest size) can be relayed to a referent."""
    if message.voice is not None:
        found, kind, mime = message.voice, "voice", message.voice.mime_type or "audio/ogg"
    elif message.audio is not None:
        found, kind, mime = message.audio, "voice", message.audio.mime_type or ""
    elif message.photo:
        found, kind, mime = message.photo[-1], "image", "image/jpeg"
    else:
        return None
    return MediaRef("telegram", found.file_id, kind, mime, found.file_size)


def media_kind(message: Message) -> MessageKind:
    # animation before document: Telegram sets both for a GIF.
    if message.voice is not None or message.audio is not None:
        return MessageKind.VOICE
    if message.photo:
        return MessageKind.IMAGE
    if message.sticker is not None:
        return MessageKind.STICKER
    if (
        message.video is not None
        or message.video_note is not None
        or message.animation is not None
    ):
        return MessageKind.VIDEO
    if message.document is not None:
        return MessageKind.DOCUMENT
    if message.contact is not None:
        # The contact's phone number is deliberately not passed on.
        return MessageKind.CONTACT
    return MessageKind.OTHER


def command_of(message: Message) -> Command | None:
    """The known command at the start of the message ("/start", "/aide@TerraProBot"), if any."""
    entities = message.entities or ()
    first = entities[0] if entities else None
    if not (first and first.type == MessageEntity.BOT_COMMAND and first.offset == 0):
        return None
    name = message.parse_entity(first)[1:].split("@", 1)[0].lower()
    return _COMMANDS_BY_NAME.get(name)


def is_private(chat: Chat | None) -> bool:
    return chat is not None and chat.type == Chat.PRIVATE


def is_addressed_to_bot(message: Message, bot_id: int, bot_username: str | None) -> bool:
    """In a group: a mention of the bot, a reply to one of its messages, or a command."""
    reply_to = message.reply_to_message
    if reply_to is not None and reply_to.from_user is not None and reply_to.from_user.id == bot_id:
        return True
    handle = f"@{bot_username}".lower() if bot_username else None
    # parse_entities: Telegram's offsets count UTF-16 units, not Python characters.
    entities = {**message.parse_entities(), **message.parse_caption_entities()}
    for entity, fragment in entities.items():
        fragment = fragment.lower()
        if entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot_id:
            return True
        if entity.type == MessageEntity.MENTION and handle and fragment == handle:
            return True
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            target = fragment.partition("@")[2]
            if not target or (handle and f"@{target}" == handle):
                return True
    return False


def group_invitation(bot_username: str | None) -> Reply:
    where = f"@{bot_username}" if bot_username else "moi en message privé"
    return Reply(
        text=(
            "Bonjour ! Pour chercher une formation ou poser ta question, "
            f"écris-moi en privé : {where} 🙂"
        )
    )


def keyboard_rows(buttons: tuple[Button, ...], codec: ButtonCodec) -> list[list[InlineKeyboardButton]]:
    cells = [InlineKeyboardButton(b.title, callback_data=codec.encode(b)) for b in buttons]
    if len(cells) > 1 and all(len(b.title) <= SHORT_TITLE_CHARS for b in buttons):
        return [cells[i : i + 2] for i in range(0, len(cells), 2)]
    return [[cell] for cell in cells]


def reply_to_send_kwargs(chat_id: int | str, reply: Reply, codec: ButtonCodec) -> list[dict[str, Any]]:
    """Arguments for one or more sendMessage calls; the keyboard goes on the last one.

    Plain text on purpose (no parse_mode): catalogue data and user echoes can never break
    the message or inject formatting.
    """
    chunks = split_text(reply.text)
    if not chunks:
        if not reply.buttons:
            return []
        chunks = [BUTTONS_ONLY_TEXT]
    calls: list[dict[str, Any]] = [{"chat_id": chat_id, "text": chunk} for chunk in chunks]
    if reply.buttons:
        calls[-1]["reply_markup"] = InlineKeyboardMarkup(keyboard_rows(reply.buttons, codec))
    return calls


def split_text(text: str, limit: int = MAX_TEXT_CHARS) -> list[str]:
    """Cuts at line breaks where possible so a long answer stays readable."""
    text = (text or "").strip()
    chunks: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut <= 0:
            cut = text.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        chunks.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        chunks.append(text)
    return chunks
