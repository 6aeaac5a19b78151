"""`flask --app app gdpr anonymise`: the retention of participants' personal data.

Run it daily (cron or a systemd timer). Like the other commands, it speaks English to the
operator."""

import click
from flask import Flask

from eventsapp.privacy import services


def register(app: Flask) -> None:
    """Add the `gdpr` group to `app.cli`; a second call changes nothing."""
    if "gdpr" in app.cli.commands:
        return

    @app.cli.group("gdpr")
    def gdpr() -> None:
        """Participants' personal data: retention and erasure."""

    @gdpr.command("anonymise")
    @click.option(
        "--days",
        type=click.IntRange(min=0),
        default=None,
        help="Anonymise the enrolments of events that ended more than this many days ago "
        "(default: RETENTION_DAYS, 90).",
    )
    @click.option("--dry-run", is_flag=True, help="Only say how many would be anonymised.")
    @click.option(
        "--chunk-size",
        type=click.IntRange(min=1),
        default=services.CHUNK_SIZE,
        show_default=True,
        help="Enrolments per transaction.",
    )
    def anonymise(days: int | None, dry_run: bool, chunk_size: int) -> None:
        """Remove names, contact details, dates of birth and free text from the enrolments
        of past events (what the reports count stays), and the coach clients with no
        enrolment and no change in as long."""
        if days is None:
            try:
                days = services.retention_days()
            except ValueError as error:
                raise click.ClickException(str(error)) from error
        if dry_run:
            click.echo(str(services.count_expired(days)))
            due = len(services.clients_due(days))
            click.echo(f"{due} coach clients inactive for {days} days would be removed.")
            return
        click.echo(str(services.anonymise_expired(days, chunk_size=chunk_size)))
        removed = services.remove_expired_clients(days)
        click.echo(f"{removed} coach clients inactive for more than {days} days removed.")
        services.checkpoint()
