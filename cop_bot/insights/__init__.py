"""`/insights`: counts for the coordinator's view, never names (issue 19)."""
