"""Command-line tools: `flask --app app seed-demo` and friends."""

from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from eventsapp.extensions import db


def register(app: Flask) -> None:
    from eventsapp.privacy import cli as privacy_cli

    privacy_cli.register(app)

    @app.cli.command("seed-demo")
    @click.option("--reset", is_flag=True, help="Delete all data first, then fill anew.")
    def seed_demo(reset: bool) -> None:
        """Fill an empty database with the demo network; dates are computed from today."""
        from eventsapp import demo
        from eventsapp.models import Organisation

        # The demo passwords are random; they are kept in the instance folder so that the
        # next `make run` can show them again.
        saved = Path(app.instance_path) / "demo-accounts.txt"
        if reset:
            demo.clear()
        elif db.session.execute(select(Organisation.id).limit(1)).first():
            click.echo("The database already has data: nothing seeded (use --reset to refill).")
            if saved.exists():
                click.echo(saved.read_text(encoding="utf-8"), nl=False)
            return
        seeded = demo.seed()
        db.session.commit()
        click.echo(f"Demo network seeded: {seeded.summary}.")
        lines = ["Demo accounts (log in at /login):"]
        lines += [f"  {role:<12} {email:<32} {pw}" for email, role, pw in seeded.accounts]
        text = "\n".join(lines) + "\n"
        click.echo(text, nl=False)
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.write_text(text, encoding="utf-8")
        saved.chmod(0o600)

    @app.cli.group("outbox")
    def outbox() -> None:
        """Send the mail waiting in the outbox."""

    @outbox.command("send")
    @click.option("--batch", default=50, show_default=True, help="Messages per SMTP connection.")
    @click.option(
        "--as-of",
        type=click.DateTime(formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]),
        default=None,
        help="Queue the feedback due at this UTC time (default: now).",
    )
    def outbox_send(batch: int, as_of) -> None:
        """One pass: queue the feedback requests due, send what is due, then stop."""
        from datetime import UTC

        from eventsapp.database import utcnow
        from eventsapp.extensions import db
        from eventsapp.feedback.services import queue_due_feedback
        from eventsapp.mail.sender import send_due

        moment = as_of.replace(tzinfo=UTC) if as_of else utcnow()
        queued = queue_due_feedback(moment)
        db.session.commit()
        if queued:
            click.echo(f"{queued} feedback requests queued.")
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
        from eventsapp.mail.sender import run_worker

        try:
            run_worker(interval=interval, log=click.echo)
        except KeyboardInterrupt:
            click.echo("Outbox worker stopped.")

    @outbox.command("retry")
    def outbox_retry() -> None:
        """Queue the failed messages again, for one more round of tries."""
        from eventsapp.mail.sender import requeue_failed

        count = requeue_failed()
        db.session.commit()
        click.echo(f"{count} failed messages queued again.")

    @app.cli.group("users")
    def users() -> None:
        """Staff accounts."""

    @users.command("create")
    @click.option("--email", required=True)
    @click.option("--name", default="")
    @click.option(
        "--role",
        "roles",
        multiple=True,
        required=True,
        type=click.Choice(["coordinator", "organiser", "coach"]),
        help="Repeat for several roles.",
    )
    @click.option(
        "--organisation",
        "organisations",
        multiple=True,
        help="Slug of an organisation for the organiser and coach roles; repeat for several.",
    )
    @click.option("--password", default=None, help="Default: a random one, printed.")
    def users_create(email, name, roles, organisations, password) -> None:
        """Create a staff account, e.g. the first coordinator of a real deployment."""
        from eventsapp.auth.services import by_email, create_user, generate_password
        from eventsapp.models import Organisation

        if by_email(email):
            raise click.ClickException(f"{email} already has an account.")
        orgs = []
        for slug in organisations:
            org = db.session.execute(
                select(Organisation).where(Organisation.slug == slug)
            ).scalar_one_or_none()
            if org is None:
                raise click.ClickException(f"No organisation {slug!r}.")
            orgs.append(org)
        member_roles = [role for role in roles if role != "coordinator"]
        if member_roles and not orgs:
            raise click.ClickException("--organisation is needed for organiser and coach.")
        password = password or generate_password()
        create_user(
            email,
            name=name,
            password=password,
            coordinator="coordinator" in roles,
            memberships=[(role, org) for role in member_roles for org in orgs],
        )
        db.session.commit()
        click.echo(f"Created {email} ({', '.join(roles)}). Password: {password}")
