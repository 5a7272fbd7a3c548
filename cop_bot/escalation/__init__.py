"""Follow-through on unanswered questions: escalation rounds and `/ask decline` (issue 19)."""
