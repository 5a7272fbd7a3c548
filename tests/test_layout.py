"""Guards on the package layout: no import cycles, adapters that never open a storage session,
a Slack manifest that can be printed without loading the Slack SDK or aiohttp, and `cop-bot`
commands that load only what they use (every call is a fresh interpreter)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "cop_bot"


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(tree: ast.Module, *, in_functions: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    """The module's imports; never those under `if TYPE_CHECKING:`, and those inside functions
    only when `in_functions`."""
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        if not in_functions and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _targets(name: str, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The cop_bot modules an import statement names (a submodule when `from pkg import sub`)."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = node.module or ""
    if node.level:
        package = name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]
        parents = package.split(".")[: len(package.split(".")) - (node.level - 1)]
        base = ".".join([*parents, *([node.module] if node.module else [])])
    for alias in node.names:
        yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base


def _graph(*, in_functions: bool) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[name] = {
            target
            for node in _imports(tree, in_functions=in_functions)
            for target in _targets(name, node)
            if target in MODULES and target != name
        }
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_level_import_cycles() -> None:
    assert _cycles(_graph(in_functions=False)) == []


def test_the_platform_adapters_have_no_import_cycles_even_through_imports_in_functions() -> None:
    graph = _graph(in_functions=True)
    platforms = {
        name: {t for t in targets if t.startswith("cop_bot.platforms")}
        for name, targets in graph.items()
        if name.startswith("cop_bot.platforms")
    }
    assert _cycles(platforms) == []


def test_a_cycle_is_found_when_there_is_one() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_platform_adapter_opens_a_storage_session() -> None:
    """Adapters call core functions with the engine; the session and its rules live there."""
    offenders: list[str] = []
    for name, path in MODULES.items():
        if not name.startswith("cop_bot.platforms"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in _imports(tree, in_functions=True):
            if isinstance(node, ast.ImportFrom) and node.module in {
                "cop_bot.storage.db",
                "sqlmodel",
            }:
                names = {alias.name for alias in node.names}
                if names & {"session_scope", "Session"}:
                    offenders.append(f"{name}: from {node.module} import {sorted(names)}")
            if isinstance(node, ast.Import) and any(a.name == "sqlmodel" for a in node.names):
                offenders.append(f"{name}: import sqlmodel")
        source = path.read_text(encoding="utf-8")
        if "session_scope(" in source:
            offenders.append(f"{name}: calls session_scope")
    assert offenders == []


def heavy_modules_loaded(
    code: str, packages: set[str], *, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> list[str]:
    """Which of `packages` a fresh interpreter has loaded after running `code` (which must
    succeed), in `cwd` with `env` added to the environment."""
    script = (
        "import sys\n"
        + code
        + f"\nprint(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {packages!r})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return [m for m in done.stdout.strip().split(",") if m]


def test_printing_the_slack_manifest_loads_neither_slack_bolt_nor_aiohttp() -> None:
    code = (
        "from cop_bot.handlers import build_registry\n"
        "from cop_bot.platforms.slack.manifest import manifest_yaml\n"
        "assert manifest_yaml(build_registry()).startswith('#')"
    )
    assert heavy_modules_loaded(code, {"slack_bolt", "slack_sdk", "aiohttp"}) == []


def test_the_commands_load_no_scheduler_and_no_platform() -> None:
    """A command (`cop-bot query`, an engine worker) builds the registry: it must not pay for
    APScheduler or a platform SDK, which only the running bot needs."""
    code = (
        "from cop_bot.handlers import build_registry\n"
        "assert build_registry().get('profile') is not None"
    )
    loaded = heavy_modules_loaded(
        code, {"apscheduler", "slack_bolt", "slack_sdk", "aiohttp", "nio"}
    )
    assert loaded == []


PLATFORM_AND_JOBS = {"apscheduler", "slack_bolt", "slack_sdk", "aiohttp", "nio"}


def test_cop_bot_help_loads_no_database_library_no_platform_and_no_scheduler() -> None:
    """`cop-bot --help` only builds the argument parser: SQLAlchemy alone costs 0.3-0.5 s."""
    code = (
        "import contextlib, io\n"
        "from cop_bot.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    try:\n"
        "        main(['--help'])\n"
        "    except SystemExit as exc:\n"
        "        assert exc.code == 0\n"
        "assert 'usage: cop-bot' in out.getvalue()\n"
    )
    loaded = heavy_modules_loaded(code, {"sqlalchemy", "sqlmodel", "alembic", *PLATFORM_AND_JOBS})
    assert loaded == []


def test_cop_bot_query_help_loads_no_migrations_no_platform_and_no_scheduler(
    tmp_path: Path,
) -> None:
    """On an up-to-date database a command checks the schema with one SELECT: Alembic (with its
    migration scripts, which import slack-sdk) loads only when there is something to migrate;
    icalendar only when a calendar is written; PyYAML only when the taxonomy file is new."""
    from cop_bot.storage.db import make_engine, upgrade

    url = f"sqlite:///{tmp_path / 'current.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    code = (
        "import contextlib, io\n"
        "from cop_bot.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    assert main(['query', '/help']) == 0\n"
        "assert '/find-expert' in out.getvalue()\n"
    )
    env = {"COP_BOT_DATABASE_URL": url, "COP_BOT_STATE_DIR": str(tmp_path / "state")}
    first = heavy_modules_loaded(
        code, {"alembic", "icalendar", *PLATFORM_AND_JOBS}, cwd=tmp_path, env=env
    )
    assert first == []
    # the second command finds the parsed taxonomy in the state folder: no PyYAML either
    again = heavy_modules_loaded(
        code, {"yaml", "alembic", "icalendar", *PLATFORM_AND_JOBS}, cwd=tmp_path, env=env
    )
    assert again == []
