"""Retro scheduling: the calendar, the placeholders, and follow-ups synced to the backlog."""
