"""Answers that stay: answers recorded with their question, accepted by the asker, edited with
history, and found again by search (`rules`, `search`, `privacy`)."""
