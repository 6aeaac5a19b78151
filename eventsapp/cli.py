"""Command-line tools: `flask --app app seed-demo` and friends."""

import click
from flask import Flask
from sqlalchemy import select

from eventsapp.extensions import db


def register(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--reset", is_flag=True, help="Delete all data first, then fill anew.")
    def seed_demo(reset: bool) -> None:
        """Fill an empty database with the demo network; dates are computed from today."""
        from eventsapp import demo
        from eventsapp.models import Organisation

        if reset:
            demo.clear()
        elif db.session.execute(select(Organisation.id).limit(1)).first():
            click.echo("The database already has data: nothing seeded (use --reset to refill).")
            return
        summary = demo.seed()
        db.session.commit()
        click.echo(f"Demo network seeded: {summary}.")

    @app.cli.group("outbox")
    def outbox() -> None:
        """Send the mail waiting in the outbox."""

    @outbox.command("send")
    @click.option("--batch", default=50, show_default=True, help="Messages per SMTP connection.")
    def outbox_send(batch: int) -> None:
        """One pass: send what is due, then stop."""
        from eventsapp.mail.outbox import send_due

        if not app.config.get("MAIL_SERVER"):
            click.echo("MAIL_SERVER is not set: messages stay in the outbox.")
            return
        report = send_due(batch_size=batch)
        click.echo(str(report))
        for error in report.errors:
            click.echo(f"  {error}", err=True)

    @outbox.command("worker")
    @click.option("--interval", default=5.0, show_default=True, help="Seconds between passes.")
    def outbox_worker(interval: float) -> None:
        """Send due mail until stopped (Ctrl-C). Several workers may run at once."""
        from eventsapp.mail.outbox import run_worker

        try:
            run_worker(interval=interval, log=click.echo)
        except KeyboardInterrupt:
            click.echo("Outbox worker stopped.")

    @outbox.command("retry")
    def outbox_retry() -> None:
        """Queue the failed messages again, for one more round of tries."""
        from eventsapp.mail.outbox import requeue_failed

        count = requeue_failed()
        db.session.commit()
        click.echo(f"{count} failed messages queued again.")
