"""The calendar's page at the network's size on PostgreSQL: the plan reads the events through
their index, not by scanning the table (EXPLAIN), with 10 000 events in it."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select, text

from eventsapp.catalogue.services import Filters, upcoming
from eventsapp.extensions import db
from eventsapp.models import Category, Event, Organisation

EVENTS = 10_000


@pytest.fixture
def big_calendar(app, catalogue):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL plan: run with TEST_DATABASE_URL")
    org = db.session.execute(select(Organisation.id)).scalars().first()
    cat = db.session.execute(select(Category.id)).scalars().first()
    start = datetime.now(UTC) - timedelta(days=200)
    db.session.execute(
        insert(Event),
        [
            {
                "organisation_id": org, "category_id": cat, "kind": "other",
                "status": "published" if n % 10 else "draft", "title": f"Tapahtuma {n}",
                "slug": f"tapahtuma-{n}", "first_starts_at": start + timedelta(hours=n),
                "last_ends_at": start + timedelta(hours=n, minutes=90), "search_text": "",
            }
            for n in range(EVENTS)
        ],
    )  # fmt: skip
    db.session.commit()
    db.session.execute(text("ANALYZE event"))
    db.session.commit()


def plan(statement) -> str:
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    rows = db.session.execute(text(f"EXPLAIN {compiled}")).scalars()
    return "\n".join(rows)


def test_a_calendar_page_uses_the_index(app, big_calendar):
    now = datetime.now(UTC)
    with app.test_request_context():
        page = upcoming(Filters(page=40), now, 20)
    assert page.page == 40 and len(page.cards) == 20
    stmt = (
        select(Event.id)
        .where(Event.status == "published", Event.last_ends_at >= now)
        .order_by(Event.first_starts_at, Event.id)
        .limit(20)
        .offset(780)
    )
    shown = plan(stmt)
    assert "ix_event_status_first_starts_at" in shown or "ix_event_status_last_ends_at" in shown
    assert "Seq Scan on event" not in shown, shown
