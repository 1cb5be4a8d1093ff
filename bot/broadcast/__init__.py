"""Open-day announcements: campaigns, reminders and their rate-limited, crash-safe delivery."""
