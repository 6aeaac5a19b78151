"""Languages: the switch on every page, the visit's choice, the three catalogues."""

import re
from html import unescape


def switch_links(html: str) -> dict[str, str]:
    links = re.findall(r'<a href="([^"]+)" lang="(\w+)" hreflang', html)
    return {code: unescape(href) for href, code in links}


def test_switch_keeps_the_page_and_its_query(client, make_event):
    make_event()
    html = client.get("/?q=kurssi&page=1").get_data(as_text=True)
    links = switch_links(html)
    assert set(links) == {"fi", "sv", "en"}
    assert links["sv"] == "/?q=kurssi&page=1&lang=sv"
    # an earlier choice in the query is replaced, not repeated
    links = switch_links(client.get("/privacy?lang=en").get_data(as_text=True))
    assert links["fi"] == "/privacy?lang=fi"


def test_choice_stays_for_the_visit(client, make_event):
    make_event()
    swedish = client.get("/?lang=sv").get_data(as_text=True)
    assert '<html lang="sv">' in swedish
    # the next page, without ?lang=, is still Swedish (cookie)
    assert '<html lang="sv">' in client.get("/privacy").get_data(as_text=True)
    # ?lang= still wins over the cookie
    assert '<html lang="en">' in client.get("/privacy?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


def test_unknown_language_falls_back_to_finnish(client):
    assert '<html lang="fi">' in client.get("/?lang=xx").get_data(as_text=True)
