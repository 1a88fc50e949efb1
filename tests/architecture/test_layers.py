"""The layout's one rule: an app imports only from apps listed before it in INSTALLED_APPS (lower layers), never
from a higher one, so the dependency graph between apps has no cycle. Imports inside functions count too."""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
OURS = ("portal.", "dpa.", "subprocessors.")
APPS = [app for app in settings.INSTALLED_APPS if app.startswith(OURS)]


def app_of(module: str) -> str | None:
    return next((app for app in APPS if module == app or module.startswith(app + ".")), None)


def imported_modules(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            # `from dpa import breaches` names the app in the alias; `from dpa.breaches.models import X` in the module
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            yield node.lineno, node.module if app_of(node.module) else next(iter(names), node.module)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name


def upward_imports() -> list[str]:
    found = []
    for app in APPS:
        folder = ROOT / app.replace(".", "/")
        for path in folder.rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for line, module in imported_modules(path):
                target = app_of(module)
                if target and APPS.index(target) > APPS.index(app):
                    found.append(f"{path.relative_to(ROOT)}:{line} imports {module} ({app} -> {target})")
    return sorted(set(found))


def test_every_app_of_ours_is_installed_and_in_one_of_the_three_packages():
    folders = {p.parent.relative_to(ROOT).as_posix().replace("/", ".") for p in ROOT.glob("*/*/apps.py")}
    assert folders == set(APPS)
    assert APPS[0] == "portal.core"


def test_no_app_imports_a_higher_app():
    assert upward_imports() == []


def test_the_rule_is_checked_for_real():
    # a lower app importing a higher one is reported
    fake = ROOT / "portal/core/_layer_probe.py"
    fake.write_text("from dpa.breaches.models import BreachIncident\n")
    try:
        assert upward_imports() == [
            "portal/core/_layer_probe.py:1 imports dpa.breaches.models (portal.core -> dpa.breaches)"
        ]
    finally:
        fake.unlink()
