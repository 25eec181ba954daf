"""curriculum

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 20:05:29.554872
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import academy.db


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('module',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('track', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('summary', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('hours', sa.Float(), nullable=False),
    sa.Column('objectives', sa.JSON(), nullable=False),
    sa.Column('prerequisites', sa.JSON(), nullable=False),
    sa.Column('sources', sa.JSON(), nullable=False),
    sa.Column('quiz', sa.JSON(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('headings', sa.JSON(), nullable=False),
    sa.Column('source_path', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('retired', sa.Boolean(), nullable=False),
    sa.Column('synced_at', academy.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('slug')
    )
    with op.batch_alter_table('module', schema=None) as batch_op:
        batch_op.create_index('ix_module_track_position', ['track', 'position'], unique=False)

    op.create_table('rubric',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('summary', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('criteria', sa.JSON(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('source_path', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('retired', sa.Boolean(), nullable=False),
    sa.Column('synced_at', academy.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('slug')
    )
    op.create_table('module_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('started_at', academy.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', academy.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['module_id'], ['module.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'module_id')
    )
    with op.batch_alter_table('module_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_module_progress_module_id'), ['module_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_module_progress_user_id'), ['user_id'], unique=False)

    op.create_table('quiz_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('submitted_at', academy.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['module_id'], ['module.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('quiz_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quiz_attempt_module_id'), ['module_id'], unique=False)
        batch_op.create_index('ix_quiz_attempt_user_module', ['user_id', 'module_id'], unique=False)



    # Full-text search is kept by hand (academy/curriculum/search.py), not by the models:
    # FTS5 on SQLite, an expression GIN index on PostgreSQL.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE search_module USING fts5("
                   "slug UNINDEXED, title, summary, body, tokenize='unicode61 remove_diacritics 2')")
    else:
        op.execute("CREATE INDEX search_module_tsv ON module USING gin (to_tsvector('simple', "
                   "title || ' ' || summary || ' ' || body_text))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE search_module")
    else:
        op.execute("DROP INDEX search_module_tsv")

    with op.batch_alter_table('quiz_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_quiz_attempt_user_module')
        batch_op.drop_index(batch_op.f('ix_quiz_attempt_module_id'))

    op.drop_table('quiz_attempt')
    with op.batch_alter_table('module_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_module_progress_user_id'))
        batch_op.drop_index(batch_op.f('ix_module_progress_module_id'))

    op.drop_table('module_progress')
    op.drop_table('rubric')
    with op.batch_alter_table('module', schema=None) as batch_op:
        batch_op.drop_index('ix_module_track_position')

    op.drop_table('module')

