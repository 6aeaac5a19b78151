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
