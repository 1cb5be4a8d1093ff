"""Hand-off to human referents: the queue's announcements, the relay both ways, the referent console.

Channel-agnostic: messages to people go out as ``Notification`` values through a
``NotificationBus`` (in-process, or Redis so any worker can deliver them) to an
``Outbox`` that the composition root fills with one adapter per channel.
"""
