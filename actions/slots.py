"""Slot names belong to the core (bot/core/slots.py); the actions keep importing them from here.

Add a new slot in bot/core/slots.py: the star import re-exports it.
"""
from bot.core.slots import *  # noqa: F403
