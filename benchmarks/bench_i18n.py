"""What does translation cost per command? The same five commands in English, French and Arabic.

Builds the app as `cop-bot run` does (default settings, a migrated SQLite file with the demo
community of `cop-bot demo`), gives three members the interface languages en, fr and ar
(`/profile set language:`), and sends `/help`, `/find-expert housing`, `/practices`,
`/sessions` and `/profile` through `app.router.dispatch` for each of them, then renders the
reply for Slack (Block Kit) and Matrix (HTML): the whole path where words are chosen. English
is the peer: its catalogue is the msgids themselves, so French and Arabic pay for the catalogue
lookups, Babel's formats and longer text. The languages take turns command by command, so a busy
moment on the machine hits all three alike; it reports the median of `--rounds` rounds.

Prints figures; asserts nothing about time. Target (issue 15): under 5 % overhead.

    .venv/bin/python benchmarks/bench_i18n.py [--rounds 7] [--repeat 40]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cop_bot.app import App, build_app
from cop_bot.config import Settings
from cop_bot.core.model import Actor, Invocation, Status
from cop_bot.demo import load_demo
from cop_bot.platforms import console
from cop_bot.render import matrix, slack

REPO = Path(__file__).resolve().parent.parent
TAXONOMY = REPO / "config" / "taxonomy.yaml"
LANGUAGES = ("en", "fr", "ar")
COMMANDS = ("/help", "/find-expert housing", "/practices", "/sessions", "/profile")


def invocation(line: str, handle: str) -> Invocation:
    name, _, rest = line.lstrip("/").partition(" ")
    return Invocation(
        name=name, text=rest, actor=Actor(handle=handle), conversation=console.conversation()
    )


def member(language: str) -> str:
    return f"bench-{language}"


def build(path: Path) -> App:
    settings = Settings(
        database_url=f"sqlite:///{path}", auto_migrate=True, taxonomy_path=str(TAXONOMY)
    )
    app = build_app(settings)
    load_demo(app.engine, app.taxonomy, app.clock, admin_handle="bench-admin")
    for language in LANGUAGES:
        reply = app.router.dispatch(
            invocation(f"/profile set language: {language}", member(language))
        )
        assert reply.ok, f"{language}: {reply.data}"
    return app


def once(app: App, line: str, language: str) -> float:
    """Seconds of CPU this thread spent on one command, dispatch and both renderings."""
    started = time.thread_time()
    reply = app.router.dispatch(invocation(line, member(language)))
    slack.render_message(reply)
    matrix.render(reply)
    spent = time.thread_time() - started
    if reply.status is not Status.OK:
        raise SystemExit(f"{line} in {language} failed: {reply.data}")
    if reply.locale != language:
        raise SystemExit(f"{line}: asked for {language}, the reply is in {reply.locale}")
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=40, help="commands per language per round")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cop-bot-bench-i18n-") as tmp:
        app = build(Path(tmp) / "bench.db")
        try:
            for line in COMMANDS:  # warm-up: catalogues, Babel's data, search indexes
                for language in LANGUAGES:
                    for _ in range(3):
                        once(app, line, language)
            per: dict[tuple[str, str], list[float]] = {}
            for _round in range(args.rounds):
                for line in COMMANDS:
                    for _ in range(args.repeat):
                        for language in LANGUAGES:
                            per.setdefault((line, language), []).append(once(app, line, language))
            report(per, args.rounds, args.repeat)
        finally:
            app.engine.dispose()


def report(per: dict[tuple[str, str], list[float]], rounds: int, repeat: int) -> None:
    print(
        f"CPU per command (dispatch + Slack and Matrix rendering), ms; median of {rounds} rounds "
        f"of {repeat} commands per language, the languages interleaved; SQLite, demo community"
    )
    print(f"  {'command':<24}" + "".join(f"{lang:>9}" for lang in LANGUAGES) + "   fr/en   ar/en")
    totals = dict.fromkeys(LANGUAGES, 0.0)
    for line in COMMANDS:
        ms = {}
        for language in LANGUAGES:
            values = per[(line, language)]
            chunks = [values[i * repeat : (i + 1) * repeat] for i in range(rounds)]
            ms[language] = statistics.median(statistics.fmean(c) for c in chunks) * 1000
            totals[language] += ms[language]
        print(
            f"  {line:<24}"
            + "".join(f"{ms[lang]:>9.3f}" for lang in LANGUAGES)
            + f"  {ms['fr'] / ms['en'] - 1:>+6.1%}  {ms['ar'] / ms['en'] - 1:>+6.1%}"
        )
    print(
        f"  {'all five':<24}"
        + "".join(f"{totals[lang]:>9.3f}" for lang in LANGUAGES)
        + f"  {totals['fr'] / totals['en'] - 1:>+6.1%}  {totals['ar'] / totals['en'] - 1:>+6.1%}"
    )
    print("target: French and Arabic within 5 % of English")


if __name__ == "__main__":
    main()
