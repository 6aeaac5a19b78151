"""End to end on a phone: Debian's chromium, driven by Playwright, against the real app served
over real HTTP (werkzeug in a thread), on the test database (SQLite, or PostgreSQL when
TEST_DATABASE_URL is set).

What a person sees is asserted in Finnish, the default language. CSRF protection is on in the
served app, as in production. A screenshot of the form with errors, and one of the last page of
every test, are saved in the test's tmp_path. The tests at the end pin bugs found in the
templates and CSS (long Finnish words at 360 px, the facts list, untranslated error summary).
"""

import re
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventsapp.eligibility import LAHTI_REGION
from eventsapp.extensions import db
from eventsapp.models import Enrolment
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, now

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.is_file(), reason=f"{CHROMIUM} is absent: install Debian's chromium"
    ),
]
playwright = pytest.importorskip(
    "playwright.sync_api", reason="the playwright Python package is not installed"
)
expect = playwright.expect


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser, live_server, tmp_path):
    """A fresh page on a 360×740 phone in Finnish. The test fails if any response is a 4xx/5xx, a
    request fails (a missing stylesheet) or the console logs an error."""
    context = browser.new_context(
        base_url=live_server,
        viewport=PHONE,
        screen=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="fi-FI",
        timezone_id="Europe/Helsinki",
    )
    context.set_default_timeout(5_000)
    page = context.new_page()
    failures = []
    page.on(
        "response",
        lambda response: (
            failures.append(f"{response.status} {response.url}") if response.status >= 400 else None
        ),
    )
    page.on("requestfailed", lambda request: failures.append(f"failed {request.url}"))
    page.on("pageerror", lambda error: failures.append(f"script error: {error}"))
    page.on("console", lambda message: console_error(message, failures))
    yield page
    try:
        page.screenshot(path=str(tmp_path / "last-page.png"), full_page=True)
    finally:
        context.close()
    assert failures == [], "the browser got errors"


# --- helpers ---------------------------------------------------------------------------------


def console_error(message, failures: list[str]) -> None:
    # A failed load is already caught by its response; the favicon's 404 is no failure.
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        failures.append(f"console: {message.text}")


def enrolments(event_id: int) -> list[Enrolment]:
    """What the database holds now, read in a transaction of its own."""
    stmt = select(Enrolment).where(Enrolment.event_id == event_id).order_by(Enrolment.id)
    with Session(db.engine) as session:
        return list(session.execute(stmt).scalars())


def years_ago(years: int) -> date:
    today = date.today()
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def heading(page, text: str):
    return page.get_by_role("heading", name=text, exact=True)


def open_event_and_form(page, event_id: int, title: str, enrol_link: str = "Ilmoittaudu"):
    page.goto(f"/events/{event_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    page.get_by_role("link", name=enrol_link, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Ilmoittaudu: {title}")


def assert_fits_phone(page, what: str) -> None:
    """No horizontal scrolling at 360 px; on failure, name the elements that stick out."""
    width = page.evaluate("document.documentElement.scrollWidth")
    if width <= PHONE["width"]:
        return
    culprits = page.evaluate(
        """(limit) => [...document.querySelectorAll('body *')]
            .filter((el) => el.getBoundingClientRect().right > limit + 0.5
                || (el.scrollWidth > el.clientWidth + 1
                    && getComputedStyle(el).overflowX === 'visible'))
            .slice(-8)
            .map((el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}`
                + `${el.className ? '.' + String(el.className).replace(/ +/g, '.') : ''}`
                + ` right=${Math.round(el.getBoundingClientRect().right)}`
                + ` "${(el.textContent || '').trim().slice(0, 40)}"`)""",
        PHONE["width"],
    )
    pytest.fail(f"{what}: scrollWidth {width} > {PHONE['width']}; sticking out: {culprits}")


UNNAMED_CONTROLS = """() => {
  const text = (el) => (el ? el.textContent.replace(/\\s+/g, ' ').trim() : '');
  const labelled = (el) => {
    if ((el.getAttribute('aria-label') || '').trim()) return true;
    const by = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean);
    if (by.some((id) => text(document.getElementById(id)))) return true;
    if (el.id && [...document.querySelectorAll('label[for]')]
        .some((label) => label.htmlFor === el.id && text(label))) return true;
    return Boolean(text(el.closest('label')));
  };
  const problems = [];
  const ids = [...document.querySelectorAll('[id]')].map((el) => el.id);
  for (const id of new Set(ids.filter((id, i) => ids.indexOf(id) !== i))) {
    problems.push(`duplicate id ${id}`);
  }
  for (const label of document.querySelectorAll('label[for]')) {
    if (!document.getElementById(label.htmlFor)) problems.push(`label for no #${label.htmlFor}`);
  }
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    const what = `${el.tagName.toLowerCase()}[name=${el.name}]${el.value ? '=' + el.value : ''}`;
    if (!labelled(el)) problems.push(`${what} has no label`);
    if (el.type === 'radio') {
      const fieldset = el.closest('fieldset');
      const legend = fieldset && fieldset.querySelector(':scope > legend');
      if (!text(legend)) problems.push(`${what} is not in a fieldset with a legend`);
    }
  }
  for (const el of document.querySelectorAll('button, a[href]')) {
    if (!text(el) && !(el.getAttribute('aria-label') || '').trim()) {
      problems.push(`${el.tagName.toLowerCase()} without a name: ${el.outerHTML.slice(0, 80)}`);
    }
  }
  return problems;
}"""


# --- scenarios -------------------------------------------------------------------------------


def test_participant_finds_enrols_and_cancels_on_a_phone(phone, make_event, tmp_path):
    page = phone
    title = "Miestämö: kampustutustuminen"
    event_id = make_event(title=title).id
    make_event(title="Puutyöpaja nuorille", category="other_category", organisation="ohjaamo")
    db.session.commit()  # the server's requests must not wait on the test's transaction

    # The home page lists both events; the category filter leaves the one in Koulutuspalvelut.
    page.goto("/")
    cards = page.locator(".event-card")
    expect(cards).to_have_count(2)
    page.get_by_text("Rajaa hakua").click()  # the filters are folded behind one control
    page.get_by_label("Aihealue").select_option(label="Koulutuspalvelut")
    page.get_by_role("button", name="Näytä tapahtumat").click()
    expect(page).to_have_url(re.compile(r"[?&]category=koulutuspalvelut(&|$)"))
    expect(cards).to_have_count(1)
    expect(page.get_by_role("link", name="Puutyöpaja nuorille")).to_have_count(0)
    page.get_by_role("link", name=title).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    page.get_by_role("link", name="Ilmoittaudu", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Ilmoittaudu: {title}")
    submit = page.get_by_role("button", name="Lähetä ilmoittautuminen")

    # An empty form: the error summary comes first, with one link per missing field.
    submit.click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_be_in_viewport()
    page.screenshot(path=str(tmp_path / "form-errors.png"), full_page=True)
    assert summary.bounding_box()["y"] < page.locator("form.form").bounding_box()["y"]
    links = summary.get_by_role("link")
    expect(links).to_have_text(
        [
            "Kirjoita etunimesi.",
            "Kirjoita sukunimesi.",
            "Kirjoita sähköpostiosoitteesi.",
            "Hyväksy tietosuojaseloste, jotta voit ilmoittautua.",
        ]
    )
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert hrefs == ["#first_name", "#last_name", "#email", "#consent"]
    # each field says what is wrong, to sight and to a screen reader
    first_name = page.get_by_label("Etunimi")
    expect(first_name).to_have_attribute("aria-invalid", "true")
    expect(first_name).to_have_accessible_description(re.compile("Kirjoita etunimesi"))
    expect(
        page.get_by_role("checkbox", name=re.compile("Olen lukenut"))
    ).to_have_accessible_description(re.compile("Hyväksy tietosuojaseloste"))
    assert enrolments(event_id) == []

    # Following the first link puts the cursor in the field.
    links.first.click()
    expect(first_name).to_be_focused()
    page.keyboard.type("Matti")
    submit.click()

    # What was typed stays; only what is still missing is listed.
    expect(links).to_have_text(
        [
            "Kirjoita sukunimesi.",
            "Kirjoita sähköpostiosoitteesi.",
            "Hyväksy tietosuojaseloste, jotta voit ilmoittautua.",
        ]
    )
    expect(first_name).to_have_value("Matti")
    expect(first_name).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("checkbox", name=re.compile("Olen lukenut"))).not_to_be_checked()

    # The rest with the keyboard: Tab from field to field, Space ticks, Enter sends.
    links.first.click()
    last_name = page.get_by_label("Sukunimi")
    expect(last_name).to_be_focused()
    page.keyboard.type("Meikäläinen")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Sähköposti")).to_be_focused()
    page.keyboard.type("matti.meikalainen@example.fi")
    page.keyboard.press("Tab")
    expect(page.locator("#phone")).to_be_focused()
    page.keyboard.type("040 123 4567")
    page.keyboard.press("Tab")
    expect(page.locator("#reminder_sms")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#notes")).to_be_focused()
    page.keyboard.press("Tab")
    consent = page.get_by_role("checkbox", name=re.compile("Olen lukenut"))
    expect(consent).to_be_focused()
    page.keyboard.press("Space")
    expect(consent).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Lue tietosuojaseloste")).to_be_focused()
    page.keyboard.press("Tab")
    expect(submit).to_be_focused()
    page.keyboard.press("Enter")

    # The manage page: confirmed, with the person's own link.
    expect(page).to_have_url(re.compile(r"/enrolments/[\w-]{32,}$"))
    expect(page.get_by_role("status").first).to_have_text(
        "Kiitos! Ilmoittautumisesi on vastaanotettu."
    )
    expect(heading(page, "Tila: Vahvistettu")).to_be_visible()
    expect(page.get_by_text("Matti Meikäläinen")).to_be_visible()
    [enrolment] = enrolments(event_id)
    assert (enrolment.status, enrolment.first_name, enrolment.last_name) == (
        "confirmed",
        "Matti",
        "Meikäläinen",
    )
    assert (enrolment.email, enrolment.phone) == ("matti.meikalainen@example.fi", "+358401234567")
    assert page.url.endswith(f"/enrolments/{enrolment.token}")

    # Cancelling with the button.
    page.get_by_role("button", name="Peru ilmoittautumiseni").click()
    expect(heading(page, "Tila: Peruttu")).to_be_visible()
    expect(page.get_by_role("status").first).to_have_text("Ilmoittautumisesi on peruttu.")
    expect(page.get_by_role("button", name="Peru ilmoittautumiseni")).to_have_count(0)
    assert [e.status for e in enrolments(event_id)] == ["cancelled"]


def test_too_old_for_an_age_rule_is_told_why_and_whom_to_contact(phone, make_event):
    page = phone
    title = "Nuorten työnhakuklinikka"
    event_id = make_event(title=title, rules=[{"kind": "age", "min_age": 18, "max_age": 29}]).id
    db.session.commit()

    open_event_and_form(page, event_id, title)
    expect(page.get_by_text("Kenelle: 18–29-vuotiaat")).to_be_visible()
    page.get_by_label("Etunimi").fill("Pirjo")
    page.get_by_label("Sukunimi").fill("Virtanen")
    page.get_by_label("Sähköposti").fill("pirjo.virtanen@example.fi")
    page.get_by_label("Syntymäaika").fill(years_ago(40).isoformat())
    page.get_by_role("checkbox", name=re.compile("Olen lukenut")).check()
    page.get_by_role("button", name="Lähetä ilmoittautuminen").click()

    refusal = page.locator("#ineligible")
    expect(refusal).to_be_visible()
    expect(refusal).to_be_in_viewport()
    expect(refusal).to_have_attribute("role", "alert")
    expect(refusal.get_by_role("heading")).to_have_text(
        "Valitettavasti et voi ilmoittautua tähän tapahtumaan"
    )
    expect(refusal).to_contain_text("Tämä tapahtuma on tarkoitettu 18–29-vuotiaille.")
    expect(refusal).to_contain_text("olisit 40-vuotias")
    expect(refusal).to_contain_text("ota yhteyttä järjestäjään")
    contact = refusal.get_by_role("link", name="kati@example.fi")
    expect(contact).to_be_visible()
    expect(contact).to_have_attribute("href", "mailto:kati@example.fi")
    other_events = refusal.get_by_role("link", name="Katso muita saman aihealueen tapahtumia")
    expect(other_events).to_be_visible()
    # nothing is stored, and what they typed is still there
    assert enrolments(event_id) == []
    expect(page.get_by_label("Etunimi")).to_have_value("Pirjo")


def test_full_event_puts_the_person_on_the_waiting_list(phone, make_event):
    page = phone
    title = "Työpajan tutustumispäivä"
    event_id = make_event(title=title, capacity=1, waitlist_enabled=True).id
    db.session.add(
        Enrolment(
            event_id=event_id,
            status="confirmed",
            first_name="Eka",
            last_name="Ilmoittautuja",
            email="eka@example.fi",
            email_key="eka@example.fi",
            consent_at=now(),
        )
    )
    db.session.commit()

    page.goto(f"/events/{event_id}")
    enrol_box = page.locator(".enrol-box")
    expect(enrol_box).to_contain_text("Täynnä – voit ilmoittautua jonotuslistalle")
    enrol_box.get_by_role("link", name="Ilmoittaudu jonotuslistalle").click()

    notice = page.get_by_text("Tapahtuma on täynnä. Jos ilmoittaudut, pääset jonotuslistalle")
    expect(notice).to_be_visible()
    page.get_by_label("Etunimi").fill("Toka")
    page.get_by_label("Sukunimi").fill("Jonottaja")
    page.get_by_label("Sähköposti").fill("toka@example.fi")
    page.get_by_role("checkbox", name=re.compile("Olen lukenut")).check()
    page.get_by_role("button", name="Ilmoittaudu jonotuslistalle").click()

    expect(heading(page, "Tila: Jonotuslistalla")).to_be_visible()
    expect(page.locator("section.status")).to_contain_text("Olet jonotuslistalla sijalla 1.")
    assert [(e.email, e.status) for e in enrolments(event_id)] == [
        ("eka@example.fi", "confirmed"),
        ("toka@example.fi", "waitlisted"),
    ]


def test_layout_fits_360px_and_every_control_has_a_name(phone, make_event):
    page = phone
    title = "Työelämän digitaidot haltuun"
    event_id = make_event(
        title=title,
        sessions=3,
        summary="Kolmen kerran kurssi: sähköposti, verkkoasiointi ja työnhaku netissä.",
        description="Lisätietoa: https://www.example.fi/tyollisyys/tapahtumat/digitaidot-haltuun",
        rules=[
            {"kind": "age", "min_age": 18, "max_age": 29},
            {"kind": "municipality", "strict": False, "allowed": sorted(LAHTI_REGION)},
            {"kind": "gender", "strict": False, "allowed": ["female"]},
            {"kind": "employment_status", "allowed": ["unemployed", "laid_off"]},
            {"kind": "question", "text": "Onko sinulla sähköpostiosoite?", "required_answer": True},
        ],
    ).id
    make_event(title="Miestämö: kampustutustuminen")
    db.session.commit()

    page.goto("/")
    expect(page.locator(".event-card")).to_have_count(2)
    assert_fits_phone(page, "home page")

    open_event_and_form(page, event_id, title)
    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    assert_fits_phone(page, "event page")
    page.go_forward()

    form = page.locator("form.form")
    expect(form.get_by_role("radio")).to_have_count(4 + 5 + 2)
    assert_fits_phone(page, "enrolment form")
    assert page.evaluate(UNNAMED_CONTROLS) == []

    page.get_by_role("button", name="Lähetä ilmoittautuminen").click()
    expect(page.locator("#error-summary")).to_be_visible()
    assert_fits_phone(page, "enrolment form with errors")
    assert page.evaluate(UNNAMED_CONTROLS) == []
    # every link of the summary leads to a field that exists (a radio group: its first radio)
    for href in page.locator("#error-summary a").evaluate_all("(as) => as.map((a) => a.hash)"):
        expect(page.locator(href)).to_have_count(1)

    # Playwright's own accessible-name computation agrees: no control without a name.
    controls = form.locator("input:not([type=hidden]), select, textarea, button")
    assert controls.count() > 15
    for i in range(controls.count()):
        expect(controls.nth(i)).to_have_accessible_name(re.compile(r"\w"))
    for group in ("Sukupuoli", "Tilanteesi tällä hetkellä", "Onko sinulla sähköpostiosoite?"):
        expect(page.get_by_role("group", name=group)).to_be_visible()


def test_long_finnish_word_in_a_title_fits_360px(phone, make_event):
    page = phone
    title = "Ammattikorkeakoulututkinto aikuisena"
    event_id = make_event(title=title).id
    db.session.commit()

    problems = []
    for what, url in [
        ("home page", "/"),
        ("event page", f"/events/{event_id}"),
        ("enrolment form", f"/events/{event_id}/enrol"),
    ]:
        page.goto(url)
        expect(page.get_by_text("Ammattikorkeakoulututkinto").first).to_be_visible()
        try:
            assert_fits_phone(page, what)
        except pytest.fail.Exception as failure:
            problems.append(str(failure))
    if problems:
        pytest.fail("\n".join(problems))


def test_fact_labels_do_not_overlap_their_values_at_360px(phone, make_event):
    page = phone
    event_id = make_event().id
    db.session.commit()

    overlapping = []
    for url in ("/", f"/events/{event_id}"):
        page.goto(url)
        expect(page.locator("dl.facts").first).to_be_visible()
        overlapping += page.locator("dl.facts dt").evaluate_all(
            "(dts) => dts.filter((dt) => dt.scrollWidth > dt.clientWidth)"
            "  .map((dt) => `${dt.textContent}: ${dt.scrollWidth}px in ${dt.clientWidth}px`)"
        )
    assert overlapping == []


def test_error_summary_speaks_finnish(phone, make_event):
    page = phone
    event_id = make_event().id
    db.session.commit()

    page.goto(f"/events/{event_id}/enrol")
    page.get_by_role("button", name="Lähetä ilmoittautuminen").click()
    summary_heading = page.locator("#error-summary h2")
    expect(summary_heading).to_be_visible()
    english = [
        text
        for text in (summary_heading.inner_text(), page.locator(".field-error").first.inner_text())
        if re.search(r"\b(Please|Error)\b", text)
    ]
    assert english == []


def test_enrol_with_text_reminders_on_a_phone_and_turn_them_off(phone, make_event):
    """The issue's walk-through: enrol with a text-message reminder on a phone, see which
    reminders will come, and turn the texts off."""
    from datetime import timedelta

    title = "Miestämö: kampustutustuminen"
    event_id = make_event(title=title, starts_in=timedelta(days=3)).id
    page = phone
    open_event_and_form(page, event_id, title)
    page.get_by_label("Etunimi").fill("Matti")
    page.get_by_label("Sukunimi").fill("Meikäläinen")
    page.get_by_label("Sähköposti").fill("matti@example.fi")
    page.get_by_role("checkbox", name=re.compile("Muistuta minua myös tekstiviestillä")).check()
    page.get_by_role("checkbox", name=re.compile("Olen lukenut")).check()
    page.get_by_role("button", name="Lähetä ilmoittautuminen").click()
    # Texts asked for, no number: the message sits beside the field.
    phone_field = page.get_by_label("Puhelin (vapaaehtoinen)")
    expect(phone_field).to_have_attribute("aria-invalid", "true")
    expect(phone_field).to_have_accessible_description(re.compile("Anna matkapuhelinnumerosi"))
    assert enrolments(event_id) == []
    phone_field.fill("040 123 4567")
    page.get_by_role("checkbox", name=re.compile("Olen lukenut")).check()
    page.get_by_role("button", name="Lähetä ilmoittautuminen").click()

    expect(heading(page, "Tila: Vahvistettu")).to_be_visible()
    reminders = page.get_by_role("region", name="Muistutukset").get_by_role("listitem")
    expect(reminders).to_have_count(3)  # the day before by mail and text, two hours before by text
    expect(reminders.nth(0)).to_contain_text("Sähköposti")
    expect(page.get_by_text("Tekstiviestit lähetetään numeroon +358401234567.")).to_be_visible()
    assert_fits_phone(page, "the manage page with reminders")
    page.get_by_role("button", name="Ei enää tekstiviestejä").click()
    expect(page.get_by_role("status").first).to_contain_text("ei lähetetä sinulle enää")
    expect(reminders).to_have_count(1)
    [enrolment] = enrolments(event_id)
    assert enrolment.phone == "+358401234567" and not enrolment.reminder_sms


def test_phone_first_screen_shows_an_event_and_search_folds_accents(phone, make_event):
    """Issue 11: on a 360 px phone the filters fold behind "Rajaa hakua" and the first screen
    shows at least one event; "miestamo" typed without dots finds Miestämö."""
    page = phone
    make_event(title="Miestämö: kampustutustuminen")
    make_event(title="CV-paja", organisation="ohjaamo")
    db.session.commit()

    page.goto("/")
    search = page.get_by_role("searchbox", name="Hae")
    expect(search).to_be_visible()
    expect(page.get_by_label("Aihealue")).to_be_hidden()
    first_card = page.locator(".event-card").first
    top = first_card.evaluate("(card) => card.getBoundingClientRect().top")
    assert top < PHONE["height"], f"the first event starts at {top}px, below the first screen"
    summary = page.locator(".more-filters > summary")
    assert summary.bounding_box()["height"] >= 44

    search.fill("MIESTAMO")
    search.press("Enter")
    expect(page.locator(".event-card h2")).to_have_text(["Miestämö: kampustutustuminen"])
    assert_fits_phone(page, "search results")

    summary.press("Enter")  # keyboard opens the folded filters
    expect(page.get_by_label("Aihealue")).to_be_visible()
