"""Headless Chromium (Debian's `chromium`, which scripts/test.sh installs) driven by Playwright,
for tests of the pages the gateway serves. No browser is downloaded: Playwright is pointed at
the system's chromium. Flags as this machine needs them: no sandbox (tests run as root), no GPU,
and none of Chromium's own background connections (the network is closed)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser, sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextmanager
def chromium() -> Iterator[Browser]:
    path = shutil.which("chromium")
    if path is None:
        raise RuntimeError("Debian's chromium is not installed: bash scripts/test.sh installs it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, timeout=60_000)
        try:
            yield browser
        finally:
            browser.close()
