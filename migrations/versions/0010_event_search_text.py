"""events keep a folded search text, trigram-indexed on PostgreSQL

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 03:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.Text(), nullable=False, server_default=''))

    # Fold the texts of the events already written, as the app now does on every write.
    from eventsapp.search import event_text

    event = sa.table('event', sa.column('id', sa.Integer), sa.column('title', sa.String),
                     sa.column('summary', sa.String), sa.column('description', sa.Text),
                     sa.column('organisation_id', sa.Integer),
                     sa.column('search_text', sa.Text))
    organisation = sa.table('organisation', sa.column('id', sa.Integer),
                            sa.column('name', sa.String))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(event.c.id, event.c.title, event.c.summary, event.c.description,
                  organisation.c.name)
        .select_from(event.outerjoin(organisation, organisation.c.id == event.c.organisation_id))
    ).all()
    for row in rows:
        connection.execute(
            event.update().where(event.c.id == row.id)
            .values(search_text=event_text(row.title, row.summary, row.description, row.name))
        )

    if connection.dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.create_index('ix_event_search_text_trgm', 'event', ['search_text'],
                        postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_event_search_text_trgm', table_name='event')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('search_text')
