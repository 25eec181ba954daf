"""password links and account imports

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 22:58:56.711383
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import academy.db


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('account_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('rows', sa.JSON(), nullable=False),
    sa.Column('created_at', academy.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('applied_at', academy.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('account_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_import_created_by'), ['created_by'], unique=False)

    op.create_table('password_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('password_fingerprint', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', academy.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', academy.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', academy.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('password_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_link_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('password_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_link_user_id'))

    op.drop_table('password_link')
    with op.batch_alter_table('account_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_import_created_by'))

    op.drop_table('account_import')
