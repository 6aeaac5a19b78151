"""event descriptions rendered on write

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 01:59:35.578594

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('description_html', sa.Text(), nullable=False, server_default='')
        )

    # Render the descriptions already written, as the model now does on every write.
    from eventsapp.markdown import render

    event = sa.table('event', sa.column('id', sa.Integer), sa.column('description', sa.Text),
                     sa.column('description_html', sa.Text))
    connection = op.get_bind()
    for row in connection.execute(sa.select(event.c.id, event.c.description)).all():
        connection.execute(
            event.update().where(event.c.id == row.id)
            .values(description_html=str(render(row.description or '')))
        )


def downgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('description_html')
