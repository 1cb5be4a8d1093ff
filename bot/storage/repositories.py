"""One import for the composition root; each repository lives in its own module."""
from bot.storage.handoff import HandoffRepository
from bot.storage.persons import PersonRepository
from bot.storage.state import (
    ConversationStateStore,
    SqlConversationStateStore,
)
from bot.storage.subscriptions import SubscriptionRepository
from bot.storage.unanswered import UnansweredRepository

__all__ = [
    "ConversationStateStore",
    "HandoffRepository",
    "PersonRepository",
    "SqlConversationStateStore",
    "SubscriptionRepository",
    "UnansweredRepository",
]
