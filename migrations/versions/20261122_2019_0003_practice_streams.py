"""practice streams

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 20:19:57.212263
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import academy.db


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('practice_stream',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('started_at', academy.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('duration_min', sa.Integer(), nullable=False),
    sa.Column('platform', sa.Enum('alibaba', '1688', 'aliexpress', 'amazon_live', 'lazada', 'shopee', 'gravy_live', 'bulbul', 'tiktok_shop', 'douyin', 'taobao', 'other', name='platform', native_enum=False), nullable=False),
    sa.Column('market', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('stream_role', sa.Enum('host', 'deputy_host', 'assistant', 'field_control', 'operator', 'planner', name='streamrole', native_enum=False), nullable=False),
    sa.Column('is_rehearsal', sa.Boolean(), nullable=False),
    sa.Column('team_code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('viewers_uv', sa.Integer(), nullable=False),
    sa.Column('views_pv', sa.Integer(), nullable=False),
    sa.Column('peak_concurrent', sa.Integer(), nullable=False),
    sa.Column('avg_watch_sec', sa.Integer(), nullable=False),
    sa.Column('comments', sa.Integer(), nullable=False),
    sa.Column('engaged_viewers', sa.Integer(), nullable=False),
    sa.Column('new_followers', sa.Integer(), nullable=False),
    sa.Column('product_click_uv', sa.Integer(), nullable=False),
    sa.Column('product_clicks', sa.Integer(), nullable=False),
    sa.Column('orders', sa.Integer(), nullable=False),
    sa.Column('buyers', sa.Integer(), nullable=False),
    sa.Column('gmv', academy.db.TwoPlaces(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('inquiries', sa.Integer(), nullable=False),
    sa.Column('rfqs', sa.Integer(), nullable=False),
    sa.Column('ad_spend', academy.db.TwoPlaces(), nullable=False),
    sa.Column('violations', sa.Integer(), nullable=False),
    sa.Column('recording_url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('notes_md', sa.Text(), nullable=False),
    sa.Column('notes_html', sa.Text(), nullable=False),
    sa.Column('annotation_md', sa.Text(), nullable=False),
    sa.Column('annotation_html', sa.Text(), nullable=False),
    sa.Column('created_at', academy.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', academy.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['student_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('practice_stream', schema=None) as batch_op:
        batch_op.create_index('ix_practice_stream_student_started', ['student_id', 'started_at'], unique=False)
        batch_op.create_index('ix_practice_stream_team_code', ['team_code'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('practice_stream', schema=None) as batch_op:
        batch_op.drop_index('ix_practice_stream_team_code')
        batch_op.drop_index('ix_practice_stream_student_started')

    op.drop_table('practice_stream')

