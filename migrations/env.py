"""Alembic environment: the schema is SQLModel.metadata with every area's models imported."""

from alembic import context
from sqlmodel import SQLModel

import academy.all_models  # noqa: F401  (fills SQLModel.metadata)
from academy.db import managed_by_models, writing

target_metadata = SQLModel.metadata


def run_migrations() -> None:
    engine = context.config.attributes["engine"]
    with writing(engine).connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_name=managed_by_models,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
