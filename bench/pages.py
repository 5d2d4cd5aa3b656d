"""Customer page benchmark: the case list (first page, a deep page, a filter, a search) and a
case's detail page, with many cases in the database, through gunicorn and a signed-in session.

    python -m bench pages [--cases 100000] [--calls 200] [--threads 4]
"""

from __future__ import annotations

import argparse
import html
import http.cookiejar
import os
import platform
import re
import time
import urllib.parse
import urllib.request

from bench.common import (
    database_name,
    free_port,
    measure,
    page_getter,
    page_table,
    publish,
    scratch_env,
    start_web,
    wait_http,
)
from bench.seeding import seed


def signed_in_opener(base: str, email: str, password: str):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/signin/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "email": email, "password": password}
    ).encode()
    request = urllib.request.Request(
        f"{base}/signin/", data=data, headers={"Referer": f"{base}/signin/"}
    )
    opener.open(request, timeout=30).read()
    return jar


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench pages")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args(argv)
    env = scratch_env(SUPPORTCENTER_SIGNIN_FAILURE_LIMIT="1000")
    print(f"Seeding {args.cases} cases ...", flush=True)
    user = seed(env, args.cases)
    port = free_port()
    web = start_web(env, port)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/livez")
        jar = signed_in_opener(base, user["rootEmail"], "bench-password-1")
        listing = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        first = listing.open(f"{base}/support/cases/", timeout=30).read().decode()
        case_url = re.search(r'href="(/support/cases/case-[^"]+/)"', first).group(1)
        # The list pages by keyset: follow "Next" up to 100 pages deep to measure a deep page.
        deep, depth = "/support/cases/", 0
        for depth in range(1, 101):  # noqa: B007 (depth is reported below)
            page = listing.open(base + deep, timeout=60).read().decode()
            found = re.search(r'href="(\?[^"]*cursor=[^"]+)" rel="next"', page)
            if found is None:
                break
            deep = "/support/cases/" + html.unescape(found.group(1))

        getter = page_getter(base, jar, "")

        rows = [
            ("case list, first page", "/support/cases/"),
            (f"case list, page {depth:,} (Next links)", deep),
            ("case list, severity filter", "/support/cases/?severity=normal&state=all"),
            # A mid-frequency word of the seeded text (bench.seeding_db.Vocabulary): in about
            # one case in three hundred.
            ("case list, search (a mid word)", "/support/cases/?q=term400&state=all"),
            ("case detail", case_url),
        ]
        results = [
            measure(name, "Support Center", args.calls, args.threads, getter(path))
            for name, path in rows
        ]
    finally:
        web.terminate()
        web.wait(timeout=30)
    database = database_name()
    section = "\n".join(
        [
            f"### Customer pages — {time.strftime('%Y-%m-%d')}",
            "",
            f"{args.cases:,} cases in one account ({database}); a signed-in root user; gunicorn "
            f"with {args.workers} workers x 4 threads; {args.threads} client threads; "
            f"{args.calls} requests per row. Machine: {os.cpu_count()} cores, Python "
            f"{platform.python_version()}.",
            "",
            *page_table(results),
            "",
        ]
    )
    publish(section, record=not args.no_record)
