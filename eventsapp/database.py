"""Database plumbing the ORM does not give: SQLite's pragmas and transactions, and row locks.

SQLite is set up so that SQLAlchemy, not the driver, begins each transaction, foreign keys are
enforced and writers wait for each other instead of failing at once. A unit of work that must
see and change shared state without a race (seat allocation) starts with `lock_for_update`:
a row lock on PostgreSQL, a write transaction (BEGIN IMMEDIATE) on SQLite.
"""

from datetime import UTC, datetime

from sqlalchemy import DateTime, Engine, event, select
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

WRITE_LOCK = "eventsapp_sqlite_write_lock"


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return
    in_memory = engine.url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # What is deleted or anonymised is overwritten in the file, not left in free pages.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        immediate = connection.get_execution_options().get(WRITE_LOCK)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


FLUSHED = "eventsapp_flushed"


@event.listens_for(Session, "after_flush")
def _remember_flush(session, _context) -> None:
    session.info[FLUSHED] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_flush(session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended: commit or rollback
        session.info.pop(FLUSHED, None)


def _unchanged(session: Session, what: str) -> None:
    if session.new or session.dirty or session.deleted or session.info.get(FLUSHED):
        raise RuntimeError(f"{what} must come before any change in the unit of work")


def begin_write(session: Session) -> None:
    """On SQLite, end the read transaction and begin a write transaction (BEGIN IMMEDIATE)
    that other writers wait for. A no-op elsewhere: PostgreSQL locks rows, not the database.
    Refuses when the unit of work has changed anything yet (a rollback would lose it)."""
    if not is_sqlite(session):
        return
    _unchanged(session, "begin_write")
    session.rollback()  # a read transaction cannot safely become a write transaction
    session.connection(execution_options={WRITE_LOCK: True})


def lock_for_update(session: Session, model, ident: int, *options):
    """Start the locked part of a unit of work; return the row (or None), locked until commit.

    Call it before changing anything in this unit of work. On PostgreSQL the row is locked with
    SELECT ... FOR UPDATE; other transactions that lock it wait. SQLite has no row locks: the
    read transaction is ended and a write transaction begun with BEGIN IMMEDIATE, which other
    writers wait for. Either way the row is read fresh, after the lock is held, with the
    loader `options` given.
    """
    _unchanged(session, "lock_for_update")
    stmt = (
        select(model)
        .where(model.id == ident)
        .options(*options)
        .execution_options(populate_existing=True)
    )
    if is_sqlite(session):
        begin_write(session)
    else:
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar_one_or_none()


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime stored in UTC; naive datetimes are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: give a timezone-aware value")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
