"""Nothing Camp needs lives in one process's memory: two servers behind nginx act as one.

Sessions, the cache (and its invalidation), editing presence and the version
check all live in PostgreSQL or Redis, so it does not matter which gunicorn
server answers, and nginx can take one away without a request failing.
"""

import http.client
import re
import secrets
import signal
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http import HTTPStatus

import pytest
import redis
from django.conf import settings

from users.selectors import USER_SUMMARY_VERSION, user_summary_key

from .conftest import ADMIN, AUTHOR_NAME, REQUEST_TIMEOUT, REVIEWER, Browser
from .servers import HOST, STOP_TIMEOUT

pytestmark = pytest.mark.scaleout

LOAD_CLIENTS = 4
LOAD_SECONDS = 6
# Requests that start after the stopped server has exited, all answered by the other.
MIN_REQUESTS_AFTER_EXIT = 40
AFTER_EXIT_TIMEOUT = 30


def test_session_holds_whichever_server_answers(cluster, admin):
    answered = Counter()
    for _ in range(10):
        for path in ("/", "/posts/"):
            page = admin.get(path)

            assert page.status == HTTPStatus.OK, (path, page.status, cluster.logs())
            assert "Log out" in page.text
            answered[cluster.name_of(page.answered_by)] += 1

    assert set(answered) == {"A", "B"}, answered


def test_an_edit_on_one_server_is_read_fresh_on_the_other(cluster, site, admin):
    a, b = cluster.a.port, cluster.b.port
    post, author = f"/posts/{site.post_id}/", f"/users/{site.author_id}/"
    title = f"Edited on A {secrets.token_hex(3)}"
    name = f"{AUTHOR_NAME} (edited on A {secrets.token_hex(3)})"
    assert admin.get(post, via=b).status == HTTPStatus.OK
    assert AUTHOR_NAME in admin.get(author, via=b).text
    summary_key = f"{site.cache_prefix}:{USER_SUMMARY_VERSION}:{user_summary_key(site.author_id)}"
    cache = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    assert cache.exists(summary_key), "B should have cached the author's summary in Redis"

    saved = admin.submit(admin.get(f"{post}edit/", via=a), f"{post}edit/", title=title)
    assert saved.status == HTTPStatus.FOUND, saved.text[:2000]
    saved = admin.submit(admin.get(f"{author}edit/", via=a), f"{author}edit/", name=name)
    assert saved.status == HTTPStatus.FOUND, saved.text[:2000]

    assert title in admin.get(post, via=b).text
    assert name in admin.get(author, via=b).text


def test_presence_and_the_version_check_span_servers(cluster, site, admin):
    a, b = cluster.a.port, cluster.b.port
    edit = f"/posts/{site.post_id}/edit/"
    reviewer = Browser(cluster.nginx.port)
    reviewer.log_in(REVIEWER)
    title = f"Saved by the admin on A {secrets.token_hex(3)}"

    admins_form = admin.get(edit, via=a)
    reviewers_form = reviewer.get(edit, via=b)
    assert f"{ADMIN} is editing this" in reviewers_form.text
    saved = admin.submit(admins_form, edit, title=title)
    assert saved.status == HTTPStatus.FOUND, saved.text[:2000]
    refused = reviewer.submit(reviewers_form, edit, title="The reviewer's title")

    assert refused.status == HTTPStatus.OK
    assert "changed this record" in refused.text
    assert title in reviewer.get(f"/posts/{site.post_id}/", via=b).text


@dataclass
class Answer:
    started: float
    status: int | None
    upstream: str
    error: str = ""

    @property
    def answered_by(self) -> str:
        return self.upstream.split(",")[-1].strip()


def _keep_asking(port: int, cookie: str, stop: threading.Event, answers: list[Answer]) -> None:
    """GET the post list through nginx over one keep-alive connection until `stop` is set."""
    connection = None
    while not stop.is_set():
        started = time.monotonic()
        try:
            if connection is None:
                connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
            connection.request("GET", "/posts/", headers={"Cookie": cookie})
            response = connection.getresponse()
            response.read()
            answers.append(Answer(started, response.status, response.getheader("X-Upstream", "")))
        except (OSError, http.client.HTTPException) as error:
            answers.append(Answer(started, None, "", repr(error)))
            if connection is not None:
                connection.close()
            connection = None
    if connection is not None:
        connection.close()


def test_stopping_a_server_under_load_fails_no_request(cluster, admin):
    stop = threading.Event()
    answers: list[Answer] = []
    clients = [
        threading.Thread(
            target=_keep_asking, args=(cluster.nginx.port, admin.cookie_header(), stop, answers)
        )
        for _ in range(LOAD_CLIENTS)
    ]
    began = time.monotonic()
    for client in clients:
        client.start()
    try:
        time.sleep(LOAD_SECONDS / 2)
        stopped_at = time.monotonic()
        cluster.a.process.send_signal(signal.SIGTERM)
        exit_code = cluster.a.process.wait(timeout=STOP_TIMEOUT)
        exited_at = time.monotonic()
        # Keep the load on until B alone has answered enough (bounded on a slow machine).
        deadline = exited_at + AFTER_EXIT_TIMEOUT
        while time.monotonic() < deadline and (
            time.monotonic() < began + LOAD_SECONDS
            or sum(x.started > exited_at for x in answers) < MIN_REQUESTS_AFTER_EXIT
        ):
            time.sleep(0.1)
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=REQUEST_TIMEOUT + 5)

    failed = [answer for answer in answers if answer.status != HTTPStatus.OK]
    before = Counter(cluster.name_of(x.answered_by) for x in answers if x.started < stopped_at)
    after = Counter(cluster.name_of(x.answered_by) for x in answers if x.started > exited_at)
    retried = sum("," in answer.upstream for answer in answers)
    print(
        f"{len(answers)} requests; before SIGTERM {dict(before)}, after A exited {dict(after)}; "
        f"A took {exited_at - stopped_at:.2f} s to exit; nginx retried {retried}"
    )
    assert exit_code == 0, cluster.logs()
    assert not failed, (failed[:10], cluster.logs())
    assert set(before) == {"A", "B"}, before
    assert set(after) == {"B"}, after
    assert after["B"] >= MIN_REQUESTS_AFTER_EXIT, after


def test_a_503_from_every_server_reaches_the_browser_as_it_is(unavailable_nginx):
    for _ in range(4):
        page = Browser(unavailable_nginx.port).get("/posts/")

        assert page.status == HTTPStatus.SERVICE_UNAVAILABLE, page.text
        assert page.headers["retry-after"] == "30"
        assert "Temporarily unavailable" in page.text


HEALTHZ_COUNT = re.compile(
    r'^django_http_requests_total_by_view_transport_method_total\{[^}]*view="healthz"[^}]*\} '
    r"([0-9.e+]+)$",
    re.MULTILINE,
)


def _get(port: int, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def test_metrics_add_up_every_workers_requests(two_worker_server):
    """/metrics reports the whole server whichever worker answers it (multiprocess mode)."""
    requests = 60
    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(
            pool.map(lambda _: _get(two_worker_server.port, "/healthz")[0], range(requests))
        )
    assert statuses == [HTTPStatus.OK] * requests

    totals = set()
    for _ in range(8):
        status, text = _get(two_worker_server.port, "/metrics")
        assert status == HTTPStatus.OK
        counts = [float(value) for value in HEALTHZ_COUNT.findall(text)]
        # The readiness wait before the test also asked /healthz, once or more.
        assert len(counts) == 1 and counts[0] >= requests, counts
        totals.add(counts[0])
    # Every answer, from either worker, gives the same total.
    assert len(totals) == 1
