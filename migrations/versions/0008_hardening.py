"""manage tokens kept as digests

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 03:45:00

A manage token is now derived from a per-enrolment salt under SECRET_KEY, and only its SHA-256
digest is stored. Links already sent keep working: their digest moves to legacy_token_hash.
"""
import base64
import hashlib
import hmac
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _derive(salt: str, key: str) -> str:
    mac = hmac.new(key.encode(), b"manage:" + salt.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def upgrade():
    from flask import current_app

    key = current_app.config["SECRET_KEY"]
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_salt', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('token_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('legacy_token_hash', sa.String(length=64), nullable=True))

    enrolment = sa.table(
        'enrolment', sa.column('id', sa.Integer), sa.column('token', sa.String),
        sa.column('token_salt', sa.String), sa.column('token_hash', sa.String),
        sa.column('legacy_token_hash', sa.String),
    )
    connection = op.get_bind()
    for row in connection.execute(sa.select(enrolment.c.id, enrolment.c.token)).all():
        salt = secrets.token_urlsafe(24)
        connection.execute(
            enrolment.update().where(enrolment.c.id == row.id).values(
                token_salt=salt,
                token_hash=_digest(_derive(salt, key)),
                legacy_token_hash=_digest(row.token),
            )
        )

    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.alter_column('token_salt', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('token_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_constraint('uq_enrolment_token', type_='unique')
        batch_op.drop_column('token')
        batch_op.create_unique_constraint(op.f('uq_enrolment_token_hash'), ['token_hash'])
        batch_op.create_unique_constraint(
            op.f('uq_enrolment_legacy_token_hash'), ['legacy_token_hash']
        )


def downgrade():
    raise NotImplementedError("the tokens themselves were never stored: restore a backup")
