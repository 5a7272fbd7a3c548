"""Member profiles, the expert directory and its search, `/ask` routing rules, members CSV."""
