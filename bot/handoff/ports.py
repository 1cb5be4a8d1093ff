"""What the hand-off code needs from the outside: a clock (people are reached through bot.core.outbound)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

Clock = Callable[[], datetime]
