"""The direction of imports between Camp's layers, read from the source of every module.

The foundation (camp.ops, camp.records, camp.lists and the camp models) is
what users and posts are built on, so it must never import them, nor the
dashboard that joins them: a dependency pointing back up would make every
change to an app a change to the foundation under the other app. Reading the
imports with `ast` sees all of them, also those inside functions, without
running anything. Tests are left out: a users test may well create posts.
"""

import ast
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
PACKAGES = ("camp", "users", "posts")

FOUNDATION_FORBIDS = ("users", "posts", "camp.dashboard")

#: Module (or package) prefix -> the prefixes it may not import. The first
#: matching prefix, longest first, decides.
RULES: dict[str, tuple[str, ...]] = {
    "camp.ops": (
        *FOUNDATION_FORBIDS,
        "camp.records",
        "camp.lists",
        "camp.models",
        "camp.audit",
        "camp.jobs",
    ),
    "camp.records": (*FOUNDATION_FORBIDS, "camp.lists", "camp.audit", "camp.jobs"),
    # Logging in and looking after one's own account: below the lists.
    "camp.accounts": (*FOUNDATION_FORBIDS, "camp.lists", "camp.jobs"),
    # Jobs run what the lists and apps register with them; they import neither.
    "camp.jobs": (*FOUNDATION_FORBIDS, "camp.lists", "camp.audit"),
    "camp.lists": (
        *FOUNDATION_FORBIDS,
        "camp.audit.views",
        "camp.audit.selectors",
        "camp.audit.filters",
        "camp.audit.admin",
    ),
    "camp.models": FOUNDATION_FORBIDS,
    # Recording security events sits beside ops, so the shared list code can
    # record exports, imports and bulk actions; the audit page is a list.
    "camp.audit.models": (*FOUNDATION_FORBIDS, "camp.records", "camp.lists"),
    "camp.audit.services": (*FOUNDATION_FORBIDS, "camp.records", "camp.lists"),
    "camp.audit.receivers": (*FOUNDATION_FORBIDS, "camp.records", "camp.lists"),
    "camp.audit": FOUNDATION_FORBIDS,
    "camp.quickstart": (*FOUNDATION_FORBIDS, "camp.records", "camp.lists", "camp.ops"),
    "camp.migrations": FOUNDATION_FORBIDS,
    "camp.templatetags": FOUNDATION_FORBIDS,
    "camp.formats": (*FOUNDATION_FORBIDS, "camp.records", "camp.lists", "camp.ops"),
    "users": ("posts", "camp.dashboard"),
    "posts": ("camp.dashboard",),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(BASE_DIR).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(source: str, module: str, *, is_package: bool = False) -> set[str]:
    """Every module `source` imports, wherever the import stands, relative ones made absolute.

    `from a.b import c` yields both `a.b` and `a.b.c`, since c may be a module.
    """
    package = module if is_package else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names)
    return names


def forbidden_for(module: str) -> tuple[str, ...]:
    for prefix in sorted(RULES, key=len, reverse=True):
        if module == prefix or module.startswith(f"{prefix}."):
            return RULES[prefix]
    return ()


def violations(module: str, names: set[str]) -> list[str]:
    return sorted(
        f"{module} imports {name}"
        for name in names
        for banned in forbidden_for(module)
        if name == banned or name.startswith(f"{banned}.")
    )


def app_modules() -> list[Path]:
    return sorted(
        path
        for package in PACKAGES
        for path in (BASE_DIR / package).rglob("*.py")
        if "tests" not in path.relative_to(BASE_DIR).parts
    )


def test_layers_import_only_downwards():
    found = []
    for path in app_modules():
        module = module_name(path)
        names = imported_names(path.read_text(), module, is_package=path.name == "__init__.py")
        found += violations(module, names)
    assert found == []


def test_every_foundation_package_is_read():
    read = {module_name(path) for path in app_modules()}
    for package in ("camp.ops", "camp.records", "camp.lists", "camp.dashboard"):
        assert package in read
        assert any(name.startswith(f"{package}.") for name in read)


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("camp.records.cache", "from users.models import User"),
        ("camp.lists.listviews", "import posts.models"),
        ("camp.ops.health", "def check():\n    from users import selectors\n"),
        ("camp.records.locking", "from ..dashboard import invalidation"),
        ("camp.records.locking", "from ..lists.paginator import SeekPaginator"),
        ("camp.ops.middleware", "from camp.records import cache"),
        ("camp.models", "from camp import dashboard"),
        ("users.views", "from posts.models import Post"),
        ("posts.services", "from camp.dashboard.invalidation import invalidate_after_bulk"),
    ],
)
def test_a_forbidden_import_is_caught(module, source):
    assert violations(module, imported_names(source, module)) != []


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("camp.lists.listviews", "from camp.records.mixins import StaffRequiredMixin"),
        ("camp.lists.admin", "from .paginator import EstimatedCountPaginator"),
        ("camp.records.mixins", "from .locking import VersionConflict"),
        ("posts.views", "from users.models import User"),
        ("camp.dashboard.selectors", "from posts.models import Post"),
        ("camp.apps", "from .dashboard import invalidation"),
    ],
)
def test_an_allowed_import_passes(module, source):
    assert violations(module, imported_names(source, module)) == []
