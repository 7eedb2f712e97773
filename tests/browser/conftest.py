"""A live Camp, a real Chromium and a staff member who logs in through the form.

Chromium is Debian's (`/usr/bin/chromium`, installed by .ci/run), driven
through Playwright's sync API; Playwright never downloads a browser of its own
here. axe-core comes from npm (`make install` runs `npm install`).
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from posts.models import Post
from posts.tests.factories import PostFactory
from users.tests.factories import UserFactory

from .helpers import PASSWORD, log_in

BASE_DIR = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_SCRIPT = BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = BASE_DIR / "artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}

expect.set_options(timeout=5_000)

# How many browser tests SKIP_BROWSER left out, or fail for want of Chromium.
_LEFT_OUT = pytest.StashKey[int]()
_NO_CHROMIUM = pytest.StashKey[int]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`SKIP_BROWSER=1` leaves the browser tests out, for a machine without Chromium.

    The run says so at its end, with the count; CI never sets it. Without
    Chromium and without SKIP_BROWSER the browser tests fail, and one line at
    the end says how to install it.
    """
    browser_tests = [item for item in items if item.get_closest_marker("browser")]
    if not browser_tests:
        return
    if os.environ.get("SKIP_BROWSER", "").lower() in {"1", "true", "yes"}:
        items[:] = [item for item in items if not item.get_closest_marker("browser")]
        config.hook.pytest_deselected(items=browser_tests)
        config.stash[_LEFT_OUT] = len(browser_tests)
    elif not CHROMIUM.exists():
        config.stash[_NO_CHROMIUM] = len(browser_tests)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if _LEFT_OUT in config.stash:
        terminalreporter.write_line(
            f"SKIP_BROWSER=1: left out {config.stash[_LEFT_OUT]} browser tests.", yellow=True
        )
    if _NO_CHROMIUM in config.stash:
        terminalreporter.write_line(
            f"{config.stash[_NO_CHROMIUM]} browser tests need Chromium at {CHROMIUM}: install "
            "Debian's package with `apt-get install chromium` (.ci/run does), or leave them "
            "out with `make test SKIP_BROWSER=1`. Playwright's own browser download is not used.",
            red=True,
        )


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}.", pytrace=False)
    # Playwright's sync API keeps an asyncio loop running in this thread, so
    # Django would refuse the tests' own ORM calls as "async-unsafe". They
    # never overlap with a page action, which is the case Django documents
    # DJANGO_ALLOW_ASYNC_UNSAFE for. Package scope closes the loop, and
    # unsets the variable, before any other tests run.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def open_page(browser: Browser, live_server) -> Iterator[Callable[..., Page]]:
    """Open a fresh browser window (own cookies and storage) on the live server.

    The system colour scheme is pinned to light so that the theme toggle
    always starts from the light theme.
    """
    contexts = []

    def open_page(viewport: dict[str, int] = DESKTOP) -> Page:
        context = browser.new_context(
            base_url=live_server.url,
            viewport=viewport,
            locale="en-US",
            color_scheme="light",
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Hash passwords quickly: each test creates users and logs in through the form."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def page(open_page) -> Page:
    return open_page()


@pytest.fixture
def staff_member(transactional_db):
    return UserFactory(
        username="kanri",
        email="kanri@example.com",
        name="Camp Admin",
        password=PASSWORD,
        is_staff=True,
        is_superuser=True,
    )


@pytest.fixture
def records(staff_member) -> dict:
    """A handful of users and posts, in Japanese and English."""
    hanako = UserFactory(username="hanako", name="山田 花子", email="hanako@example.com")
    taro = UserFactory(username="taro", name="鈴木 太郎", email="taro@example.com")
    alex = UserFactory(username="alex", name="Alex Morgan", email="alex@example.com")
    return {
        "users": [hanako, taro, alex],
        "hanako": hanako,
        "summer_camp": PostFactory(
            title="夏合宿のお知らせ",
            content="八月の合宿は長野で行います。持ち物リストは来週お送りします。",
            author=hanako,
        ),
        "hiking": PostFactory(
            title="週末のハイキング計画",
            content="土曜日の朝七時に駅前で集合です。",
            author=taro,
            status=Post.Status.DRAFT,
        ),
        "packing": PostFactory(
            title="Packing list for the lake trip",
            content="Tent, sleeping bag, headlamp and a warm jacket.",
            author=alex,
        ),
        "archived": PostFactory(
            title="Last year's autumn retreat",
            content="Photos and notes from the retreat.",
            author=alex,
            status=Post.Status.ARCHIVED,
        ),
    }


@pytest.fixture
def staff_page(page: Page, staff_member, records) -> Page:
    """A desktop window where the staff member has logged in, with records seeded."""
    log_in(page, staff_member.username)
    return page


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    """Save a full-page screenshot under artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def screenshot(page: Page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled")
        return path

    return screenshot


_AXE_RUN = """async () => {
    const result = await axe.run(document, {resultTypes: ["violations"]});
    return result.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        helpUrl: v.helpUrl,
        nodes: v.nodes.map((n) => ({target: n.target, summary: n.failureSummary})),
    }));
}"""


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_SCRIPT.exists():
        pytest.fail(
            f"axe-core is missing at {AXE_SCRIPT}: run `make install` (it runs `npm install`).",
            pytrace=False,
        )
    return AXE_SCRIPT.read_text()


@pytest.fixture
def serious_violations(axe_source: str) -> Callable[[Page], list[dict]]:
    """Run axe-core on the page; return violations of impact serious or critical."""

    def serious_violations(page: Page) -> list[dict]:
        # Evaluated through the DevTools protocol, so a strict Content
        # Security Policy on the page does not block the injection.
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(axe_source)
        violations = page.evaluate(_AXE_RUN)
        return [v for v in violations if v["impact"] in {"serious", "critical"}]

    return serious_violations
