"""Groups: working groups, cohorts and local networks, their members and focal points.

`form` reads what `/group create` is given, `rules` holds the queries and the rules (who may
add whom, when a cohort's members are alumni, the group scopes of other commands), `privacy`
the member's share of it for `/profile export` and `/profile delete`. The chat commands are in
`cop_bot/handlers/groups.py`."""
