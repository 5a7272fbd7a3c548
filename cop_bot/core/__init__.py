"""The engine every capability shares: vocabulary, command routing, parsing, errors, clock, outbox, jobs, taxonomy."""
