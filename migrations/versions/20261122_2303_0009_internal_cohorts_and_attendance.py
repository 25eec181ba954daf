"""internal cohorts, admission times and attendance

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 23:03:16.099770
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import academy.db


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('cohort_attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('present', 'late', 'absent', 'excused', name='attendancestatus', native_enum=False), nullable=False),
    sa.Column('marked_by_id', sa.Integer(), nullable=False),
    sa.Column('marked_at', academy.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['cohort_event.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['marked_by_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['member_id'], ['cohort_member.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id', 'member_id')
    )
    with op.batch_alter_table('cohort_attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cohort_attendance_member_id'), ['member_id'], unique=False)

    with op.batch_alter_table('cohort', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.Enum('order_class', 'internal', name='cohortkind', native_enum=False), server_default='order_class', nullable=False))

    with op.batch_alter_table('cohort_member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('admitted_at', academy.db.UTCDateTime(timezone=True), nullable=True))

    # Admission times of existing members, from the audit trail; members admitted without a
    # trace keep NULL, which attendance reads as "seated before every event".
    op.execute(
        "UPDATE cohort_member SET admitted_at = (SELECT min(audit_event.at) FROM audit_event "
        "WHERE audit_event.subject_type = 'cohort_member' "
        "AND audit_event.subject_id = cohort_member.id "
        "AND audit_event.action = 'cohort_member.admitted') "
        "WHERE status IN ('admitted', 'training', 'passed', 'failed')"
    )


def downgrade() -> None:
    with op.batch_alter_table('cohort_member', schema=None) as batch_op:
        batch_op.drop_column('admitted_at')

    with op.batch_alter_table('cohort', schema=None) as batch_op:
        batch_op.drop_column('kind')

    with op.batch_alter_table('cohort_attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cohort_attendance_member_id'))

    op.drop_table('cohort_attendance')
