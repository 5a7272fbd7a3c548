"""Start-up without the cyclic garbage collector.

A `cop-bot` command is a fresh process that first builds a large object graph that lives until
it exits: the libraries, the ORM's tables, the command registry, the taxonomy. None of it is
garbage, yet CPython's collector walks it again and again while it grows, and once more at exit:
about a fifth of `cop-bot query`'s CPU time. So the console script pauses the collector
(`pause`), and the app, once built, freezes what exists and turns it back on (`resume`), so a
long-running `cop-bot run` collects what it makes while serving, never the start-up heap. A
command that builds no app (`db upgrade`, `slack manifest`) runs with the collector paused; it
is short and bounded. Called in-process (tests call `main`), nothing is paused or frozen.
"""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """What exists now lives until exit: frozen, and the collector back on for the rest."""
    global _paused
    if _paused:
        gc.freeze()
        gc.enable()
        _paused = False


def finish() -> None:
    """At exit nothing is worth a last walk over the heap."""
    gc.freeze()
