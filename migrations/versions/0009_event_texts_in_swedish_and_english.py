"""event title and description in Swedish and English (optional)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 03:50:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

COLUMNS = (
    ("title_sv", sa.String(200)),
    ("title_en", sa.String(200)),
    ("description_sv", sa.Text()),
    ("description_en", sa.Text()),
    ("description_html_sv", sa.Text()),
    ("description_html_en", sa.Text()),
)


def upgrade():
    with op.batch_alter_table("event", schema=None) as batch_op:
        for name, type_ in COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("event", schema=None) as batch_op:
        for name, _type in reversed(COLUMNS):
            batch_op.drop_column(name)
