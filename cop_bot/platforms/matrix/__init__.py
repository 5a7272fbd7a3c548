"""The Matrix platform: a matrix-nio bot on the shared command engine.

- `runner`: `run(app)` for `cop-bot run` (the bot, the web server, the jobs) and `make_outbox`;
- `bot`: the client, its sync loop and every message it sends; `rooms`: invites, leaving empty
  rooms, reactions; `crypto`: end-to-end encryption chores; `state`: what survives a restart;
- `wire`: pure translation between Matrix events and the neutral model; `outbox`: scheduled
  messages.
"""
