"""What the browser tests do on a page more than once."""

import json
import re

from playwright.sync_api import Locator, Page, expect

PASSWORD = "camp-browser-password"


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Log in through the real login form and land on the dashboard."""
    page.goto("/accounts/login/")
    field(page, "Username").fill(username)
    field(page, "Password").fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")


def field(page: Page, label: str) -> Locator:
    """Find a form field by its whole label, as Django renders it ("Title:")."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}:?$"))


def main_navigation(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Main")


def horizontal_overflow(page: Page) -> dict:
    """Return the page's scroll width and the elements reaching past the viewport."""
    return page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            const wide = [];
            for (const el of document.body.querySelectorAll("*")) {
                const box = el.getBoundingClientRect();
                if (box.width && (box.right > width + 1 || box.left < -1)) {
                    const name = el.tagName.toLowerCase()
                        + (el.id ? "#" + el.id : "")
                        + (el.classList.length ? "." + [...el.classList].join(".") : "");
                    wide.push(`${name} (${Math.round(box.left)}..${Math.round(box.right)})`);
                }
            }
            return {
                scrollWidth: document.documentElement.scrollWidth,
                offenders: wide.slice(0, 10),
            };
        }"""
    )


def background_luminance(page: Page) -> float:
    """Return the relative luminance (0 black … 1 white) behind the page content."""
    return page.evaluate(
        """() => {
            let color = "rgb(255, 255, 255)";
            for (const el of [document.body, document.documentElement]) {
                const c = getComputedStyle(el).backgroundColor;
                if (c && c !== "transparent" && !/rgba\\(.*,\\s*0\\)$/.test(c)) {
                    color = c;
                    break;
                }
            }
            const [r, g, b] = color.match(/[\\d.]+/g).slice(0, 3).map((v) => {
                const s = Number(v) / 255;
                return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
            });
            return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        }"""
    )


def describe_violations(found: dict[str, list[dict]]) -> str:
    """Format axe-core violations, page by page, for an assertion message."""
    lines = []
    for page_name, violations in found.items():
        for violation in violations:
            lines.append(
                f"{page_name}: {violation['id']} [{violation['impact']}] "
                f"{violation['help']} ({violation['helpUrl']})"
            )
            for node in violation["nodes"][:6]:
                summary = " ".join((node["summary"] or "").split())
                lines.append(f"    {json.dumps(node['target'], ensure_ascii=False)}: {summary}")
            if len(violation["nodes"]) > 6:
                lines.append(f"    … and {len(violation['nodes']) - 6} more elements")
    return "\n".join(lines)
