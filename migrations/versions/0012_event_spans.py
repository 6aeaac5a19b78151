"""each event's first start and last end, for the calendar's index

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 04:35:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_starts_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_ends_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            'ix_event_status_first_starts_at', ['status', 'first_starts_at', 'id'], unique=False
        )
        batch_op.create_index(
            'ix_event_status_last_ends_at', ['status', 'last_ends_at'], unique=False
        )
    op.execute(
        "UPDATE event SET "
        "first_starts_at = (SELECT min(starts_at) FROM event_session s WHERE s.event_id = event.id), "
        "last_ends_at = (SELECT max(ends_at) FROM event_session s WHERE s.event_id = event.id)"
    )


def downgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index('ix_event_status_last_ends_at')
        batch_op.drop_index('ix_event_status_first_starts_at')
        batch_op.drop_column('last_ends_at')
        batch_op.drop_column('first_starts_at')
