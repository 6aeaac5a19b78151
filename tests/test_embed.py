"""The calendar on a member's website: /embed in an <iframe> of another origin, in Chromium;
the snippet builder; and search engines' JSON-LD, sitemap and robots.txt."""

import json
import re
import threading
from datetime import timedelta
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, login


@pytest.fixture
def visits(make_event):
    lab = make_event(title="Miestämö: kampustutustuminen")
    other = make_event(title="Puutyöpaja nuorille", organisation="ohjaamo")
    course = make_event(title="Työelämän digitaidot haltuun", sessions=5, kind="course",
                        starts_in=timedelta(days=20))  # fmt: skip
    return lab.id, other.id, course.id


def test_the_embed_lists_the_chosen_events_without_the_site_around_them(client, visits):
    lab, _other, _course = visits
    response = client.get("/embed?organisation=lab&accent=teal&lang=en")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Miestämö" in page and "Puutyöpaja" not in page
    assert 'class="site-header"' not in page and "site-footer" not in page
    assert "accent-teal" in page and 'lang="en"' in page
    assert f'href="http://127.0.0.1:5000/events/{lab}/enrol" target="_blank"' in page
    assert f"/embed/events/{lab}?" in page  # the event inside the frame keeps the filters
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers
    one = client.get(f"/embed/events/{lab}?organisation=lab")
    assert one.status_code == 200 and "X-Frame-Options" not in one.headers
    assert client.get("/embed?accent=javascript").get_data(as_text=True).count("accent-") == 0


def test_only_the_embed_may_be_framed(app, client, visits):
    lab, _other, _course = visits
    for path in ("/", f"/events/{lab}", "/privacy", "/login", "/api/v1/events"):
        response = client.get(path)
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path
    app.config["EMBED_ALLOWED_ORIGINS"] = "https://www.lab.fi https://ohjaamo.lahti.fi"
    app.config["PAGE_CACHE_BYTES"] = 0
    policy = client.get("/embed").headers["Content-Security-Policy"]
    assert "frame-ancestors https://www.lab.fi https://ohjaamo.lahti.fi" in policy


def test_the_builder_makes_the_snippet(client, make_user, visits):
    make_user("lab@example.fi", organiser=["lab"])
    login(client, "lab@example.fi")
    page = client.get("/manage/embed?organisation=lab&kind=campus_visit&lang=sv&accent=blue")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert (
        '&lt;iframe src="http://127.0.0.1:5000/embed?organisation=lab&amp;kind=campus_visit' in text
    )
    assert "lang=sv" in text and "accent=blue" in text and "embed-host.js" in text
    assert 'src="/embed?organisation=lab' in text  # the preview
    assert client.get("/manage/embed?accent=<script>").status_code == 200


class JsonLd(HTMLParser):
    """The JSON-LD blocks of a page, as a search engine extracts them."""

    def __init__(self):
        super().__init__()
        self.blocks, self._in = [], False

    def handle_starttag(self, tag, attrs):
        self._in = tag == "script" and ("type", "application/ld+json") in attrs

    def handle_data(self, data):
        if self._in:
            self.blocks.append(json.loads(data))

    def handle_endtag(self, tag):
        self._in = False


def json_ld(page: str) -> list[dict]:
    parser = JsonLd()
    parser.feed(page)
    return parser.blocks


def test_event_pages_carry_schema_org_events(client, visits, make_event):
    lab, _other, course = visits
    [visit] = json_ld(client.get(f"/events/{lab}").get_data(as_text=True))
    # What Google's event rich results require, and what they recommend.
    assert visit["@type"] == "Event" and visit["name"] == "Miestämö: kampustutustuminen"
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", visit["startDate"])
    assert visit["location"]["@type"] == "Place"
    assert visit["location"]["address"]["streetAddress"] == "Kirkkokatu 31, Lahti"
    assert visit["eventAttendanceMode"].endswith("OfflineEventAttendanceMode")
    assert visit["eventStatus"].endswith("EventScheduled")
    assert visit["organizer"]["@type"] == "Organization"
    assert visit["offers"]["price"] == 0 and visit["offers"]["priceCurrency"] == "EUR"
    assert visit["offers"]["availability"].endswith("InStock")
    assert visit["offers"]["url"].endswith(f"/events/{lab}/enrol")
    assert visit["audience"]["audienceType"] and visit["inLanguage"] == ["fi"]
    [series] = json_ld(client.get(f"/events/{course}").get_data(as_text=True))
    assert len(series["subEvent"]) == 5
    online = make_event(title="Verkkovalmennus", attendance_mode="hybrid", capacity=0,
                        waitlist_enabled=False)  # fmt: skip
    [hybrid] = json_ld(client.get(f"/events/{online.id}").get_data(as_text=True))
    assert {place["@type"] for place in hybrid["location"]} == {"Place", "VirtualLocation"}
    assert hybrid["offers"]["availability"].endswith("SoldOut")


def test_sitemap_and_robots(client, visits):
    lab, other, course = visits
    sitemap = client.get("/sitemap.xml")
    assert sitemap.content_type.startswith("application/xml")
    body = sitemap.get_data(as_text=True)
    for event_id in (lab, other, course):
        assert re.search(
            rf"<loc>http://127.0.0.1:5000/events/{event_id}-[^<]+</loc><lastmod>", body
        )
    robots = client.get("/robots.txt").get_data(as_text=True)
    for path in ("/manage/", "/enrolments/", "/e/", "/coach/", "/admin/", "/feedback/"):
        assert f"Disallow: {path}" in robots
    assert "Sitemap: http://127.0.0.1:5000/sitemap.xml" in robots


# --- in a real browser, from another origin ---------------------------------------------------

browser_only = pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"{CHROMIUM} is absent")


def member_site(html: str) -> tuple[ThreadingHTTPServer, str]:
    """A member organisation's page, served from another port (another origin)."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(html.encode())

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/"


@browser_only
@pytest.mark.browser
def test_a_member_site_frames_the_calendar_and_enrol_opens_a_tab(app, live_server, visits):
    playwright = pytest.importorskip("playwright.sync_api")
    app.config["EVENTSAPP_BASE_URL"] = live_server  # links that leave the frame are absolute
    lab, _other, _course = visits
    html = (
        "<!doctype html><title>LAB</title><h1>Miestämö</h1>"
        f'<iframe id="cal" src="{live_server}/embed?organisation=lab" title="Tapahtumat" '
        'style="width:100%;border:0"></iframe>'
        f'<script src="{live_server}/static/js/embed-host.js"></script>'
        f'<iframe id="page" src="{live_server}/events/{lab}" title="x"></iframe>'
    )
    server, url = member_site(html)
    try:
        with playwright.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1000, "height": 800})
            page = context.new_page()
            page.goto(url)
            frame = page.frame_locator("#cal")
            playwright.expect(
                frame.get_by_role("link", name="Miestämö: kampustutustuminen")
            ).to_be_visible()
            page.wait_for_function("document.getElementById('cal').offsetHeight > 200")
            with context.expect_page() as opened:
                frame.get_by_role("link", name=re.compile("Ilmoittaudu")).first.click()
            form = opened.value
            form.wait_for_load_state()
            assert form.url == f"{live_server}/events/{lab}/enrol"
            playwright.expect(form.get_by_role("heading", level=1)).to_contain_text("Ilmoittaudu")
            # Any other page of the app refuses to be framed.
            blocked = page.query_selector("#page").content_frame()
            assert "Miestämö" not in blocked.content()
            cal = page.query_selector("#cal").content_frame()
            assert "Miestämö" in cal.content()  # the control: the embed itself is shown
            browser.close()
    finally:
        server.shutdown()
