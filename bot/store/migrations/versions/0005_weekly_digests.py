"""weekly digests: a subscription's digest every day (as before) or every week on one weekday

Subscriptions gain `digest_every` ('day' or 'week') and `digest_on` ('mon' … 'sun', used when
weekly). Existing subscriptions stay daily. The skip marker needs no storage: it is read from the
commit message, and digests count the commits it skips.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("subscriptions", sa.Column("digest_every", sa.String(8), nullable=False, server_default="day"))
    op.add_column("subscriptions", sa.Column("digest_on", sa.String(3), nullable=False, server_default="mon"))


def downgrade() -> None:
    op.drop_column("subscriptions", "digest_on")
    op.drop_column("subscriptions", "digest_every")
