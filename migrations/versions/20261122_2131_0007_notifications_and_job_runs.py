"""notifications and job runs

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 21:31:14.158296
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import academy.db


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('job_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('period_key', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('started_at', academy.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', academy.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status', sa.Enum('running', 'done', 'failed', name='jobstatus', native_enum=False), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('job', 'period_key')
    )
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.create_index('ix_job_run_started', ['started_at'], unique=False)

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('cohort_stage', 'deadline_reminder', 'event_reminder', 'weekly_digest', 'inactivity_nudge', name='notificationkind', native_enum=False), nullable=False),
    sa.Column('delivery', sa.Enum('immediately', 'digest', 'never', name='delivery', native_enum=False), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('dedupe_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', academy.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', academy.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_at', academy.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', academy.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dedupe_key')
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_due', ['sent_at', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_notification_user_created', ['user_id', 'created_at'], unique=False)

    op.create_table('notification_preference',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('cohort_stage', 'deadline_reminder', 'event_reminder', 'weekly_digest', 'inactivity_nudge', name='notificationkind', native_enum=False), nullable=False),
    sa.Column('delivery', sa.Enum('immediately', 'digest', 'never', name='delivery', native_enum=False), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'kind')
    )


def downgrade() -> None:
    op.drop_table('notification_preference')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_user_created')
        batch_op.drop_index('ix_notification_due')

    op.drop_table('notification')
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.drop_index('ix_job_run_started')

    op.drop_table('job_run')
