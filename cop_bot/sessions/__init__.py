"""Community sessions (meetings): occurrences, WHEN parsing, calendar feeds, reminders."""
