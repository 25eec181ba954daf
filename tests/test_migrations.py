"""The migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlmodel import SQLModel

import academy.all_models  # noqa: F401
from academy.db import engine_of, managed_by_models


def test_models_and_migrations_agree(app: Flask) -> None:
    with engine_of(app).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                            "include_name": managed_by_models})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []
