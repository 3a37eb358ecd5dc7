"""graph.html in a real headless Chromium, driven over the DevTools protocol:
the graph draws, hostile article text stays text, and nothing leaves the page."""
from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from explore_fixtures import HOSTILE_EVENT, HOSTILE_PERSON, HOSTILE_SENTENCE, hostile_graph, large_graph
from graph.export.html import render_html

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]
websocket = pytest.importorskip("websocket", reason="websocket-client is not installed")

PAGE_TIMEOUT = 90   # seconds to wait for layout; generous for a loaded CI machine, not a timing assertion


class Browser:
    """Just enough of the DevTools protocol: one browser, one page session, events collected."""

    def __init__(self, profile: str):
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-default-apps", "--disable-extensions", "--mute-audio", "--window-size=1400,900",
             f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = Path(profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.exists() and len(port_file.read_text().splitlines()) >= 2):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError("chromium did not start its DevTools endpoint")
            time.sleep(0.1)
        port, path = port_file.read_text().splitlines()[:2]
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{port}{path}", timeout=PAGE_TIMEOUT)
        self.ids = itertools.count(1)
        self.events: list[dict] = []
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        msg_id = next(self.ids)
        msg = {"id": msg_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == msg_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def page(self, method: str, params: dict | None = None) -> dict:
        return self.send(method, params, self.session)

    def js(self, expression: str):
        out = self.page("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in out:
            raise RuntimeError(f"{expression}: {out['exceptionDetails']}")
        return out["result"].get("value")

    def wait_for(self, expression: str, timeout: float = PAGE_TIMEOUT) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.js(expression):
                return True
            time.sleep(0.2)
        return False

    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]

    def close(self) -> None:
        try:
            self.ws.close()
        except Exception:
            pass
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def browser():
    profile = tempfile.mkdtemp(prefix="forumgraph-chromium-")
    b = Browser(profile)
    try:
        yield b
    finally:
        b.close()
        shutil.rmtree(profile, ignore_errors=True)


def open_page(browser: Browser, html_path: Path) -> str:
    url = html_path.resolve().as_uri()
    browser.page("Network.enable")
    browser.page("Page.enable")
    browser.page("Page.navigate", {"url": url})
    assert browser.wait_for("document.readyState === 'complete'"), "page did not load"
    assert browser.wait_for("window.__forumgraphReady === true"), "graph did not finish its layout"
    return url


def screenshot(browser: Browser, path: Path) -> None:
    png = base64.b64decode(browser.page("Page.captureScreenshot", {"format": "png"})["data"])
    path.write_bytes(png)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


def test_hostile_text_renders_as_text_offline(browser, tmp_path):
    page = tmp_path / "graph.html"
    page.write_text(render_html(hostile_graph()), encoding="utf-8")
    url = open_page(browser, page)
    screenshot(browser, tmp_path / "graph.png")

    assert browser.js("document.querySelectorAll('#network canvas').length") >= 1
    assert browser.js("window.__forumgraph.data.nodes.length") == hostile_graph().number_of_nodes()
    assert browser.js("typeof window.__xss") == "undefined"
    # nothing the articles said became an element
    assert browser.js("document.querySelectorAll('img, svg, iframe, a[href], b').length") == 0

    # the side panel shows the hostile names and sentences literally
    browser.js(f"window.__forumgraph.select({json.dumps('person:' + HOSTILE_PERSON)}, true)")
    panel = browser.js("document.getElementById('panel').textContent")
    assert HOSTILE_PERSON in panel and HOSTILE_SENTENCE in panel
    assert HOSTILE_EVENT.replace("\u2028", "") in panel.replace("\u2028", "")
    assert '<b onmouseover="window.__xss=9">主任</b>' in panel
    assert browser.js("document.querySelectorAll('#panel img, #panel script, #panel svg, #panel iframe, #panel a').length") == 0
    # the search list and the event filter show names as text too
    browser.js("window.__forumgraph.search('script')")
    assert "<script>" in browser.js("document.getElementById('results').textContent")
    assert HOSTILE_EVENT.replace("\u2028", "") in browser.js("document.getElementById('event-filter').textContent").replace("\u2028", "")
    screenshot(browser, tmp_path / "graph-selected.png")
    assert browser.js("typeof window.__xss") == "undefined"

    # no request but the page itself: not a script, style, font, image or beacon
    external = [u for u in browser.requests() if u != url and not u.startswith("data:")]
    assert external == []
    assert browser.js("performance.getEntriesByType('resource').length") == 0


def test_search_either_script_alias_and_filters(browser, tmp_path):
    page = tmp_path / "graph.html"
    page.write_text(render_html(hostile_graph()), encoding="utf-8")
    open_page(browser, page)
    search = lambda text: browser.js(f"window.__forumgraph.search({json.dumps(text)})")  # noqa: E731
    assert "person:陈明远" in search("陈明远")          # Simplified query, Traditional label
    assert "person:陈明远" in search("陳明遠")
    assert "event:数字健康峰会" in search("數字健康")      # Traditional query, Simplified label
    assert search("数产协") == ["org:东方数字产业协会"]   # alias
    # filter by event: the summit, its attendees and organizer stay; the forum goes
    browser.js("var s = document.getElementById('event-filter'); s.value = 'event:数字健康峰会';"
               "s.dispatchEvent(new Event('change'))")
    hidden = browser.js("window.__forumgraph.network.body.data.nodes.get({filter: function (n) { return n.hidden; }})"
                        ".map(function (n) { return n.id; })")
    assert "event:2031未来城市论坛" in hidden and "person:赵一鸣" not in hidden and "org:星河大学" not in hidden
    # filter by kind
    browser.js("document.querySelector('#kinds input[value=organization]').click()")
    hidden = browser.js("window.__forumgraph.network.body.data.nodes.get({filter: function (n) { return n.hidden; }})"
                        ".map(function (n) { return n.id; })")
    assert "org:星河大学" in hidden


def test_large_graph_shows_top_view_with_note(browser, tmp_path):
    page = tmp_path / "graph.html"
    page.write_text(render_html(large_graph()), encoding="utf-8")
    open_page(browser, page)
    note = browser.js("document.getElementById('note').textContent")
    assert "most connected" in note and "2520" in note
    assert browser.js("window.__forumgraph.data.nodes.length") <= 500
    # physics is off once laid out: the page is not busy forever
    assert browser.js("window.__forumgraph.network.physics.physicsEnabled") is False
    screenshot(browser, tmp_path / "large.png")


def test_a_long_list_in_the_panel_says_how_many_there_are(browser, tmp_path):
    from graph.export.html import PANEL_LIMIT

    page = tmp_path / "graph.html"
    page.write_text(render_html(large_graph(persons=PANEL_LIMIT + 20, events=1)), encoding="utf-8")
    open_page(browser, page)
    browser.js("window.__forumgraph.select('event:论坛0', true)")
    panel = browser.js("document.getElementById('panel').textContent")
    assert f"{PANEL_LIMIT} / {PANEL_LIMIT + 20}" in panel
    assert browser.js("document.querySelectorAll('#panel li').length") == PANEL_LIMIT
