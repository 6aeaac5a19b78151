"""reminders by email and text message

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 03:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('channel', sa.String(length=10), nullable=False, server_default='email')
        )
        batch_op.add_column(sa.Column('session_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('offset_minutes', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f('fk_outbox_message_session_id_event_session'), 'event_session',
            ['session_id'], ['id'], ondelete='SET NULL',
        )
        batch_op.create_unique_constraint(
            op.f('uq_outbox_reminder'), ['enrolment_id', 'session_id', 'offset_minutes', 'channel']
        )
        batch_op.drop_constraint(op.f('ck_outbox_message_status'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_outbox_message_status'),
            "status IN ('queued', 'sending', 'sent', 'failed', 'skipped')",
        )
        batch_op.create_check_constraint(
            op.f('ck_outbox_message_channel'), "channel IN ('email', 'sms')"
        )

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('reminder_first', sa.Integer(), nullable=False, server_default='1440')
        )
        batch_op.add_column(
            sa.Column('reminder_second', sa.Integer(), nullable=False, server_default='120')
        )

    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('reminder_sms', sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.drop_column('reminder_sms')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('reminder_second')
        batch_op.drop_column('reminder_first')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_message_channel'), type_='check')
        batch_op.drop_constraint(op.f('ck_outbox_message_status'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_outbox_message_status'), "status IN ('queued', 'sending', 'sent', 'failed')"
        )
        batch_op.drop_constraint(op.f('uq_outbox_reminder'), type_='unique')
        batch_op.drop_constraint(
            op.f('fk_outbox_message_session_id_event_session'), type_='foreignkey'
        )
        batch_op.drop_column('offset_minutes')
        batch_op.drop_column('session_id')
        batch_op.drop_column('channel')
