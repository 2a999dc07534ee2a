"""alerts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

Alert subscriptions, matching bookkeeping and the outbox. Articles and Stichwörter that exist
when this runs are recorded as already matched, so installing alerts on a filled database
does not e-mail its history.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import kn_crawl.db.models

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UTC_DT = kn_crawl.db.models.UTCDateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "alert_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("queries", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("new_tags", sa.Boolean(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("digest_time", sa.String(length=5), nullable=False),
        sa.Column("digest_weekday", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC_DT, nullable=False),
        sa.Column("unsubscribed_at", UTC_DT, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_subscriptions")),
    )
    with op.batch_alter_table("alert_subscriptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_subscriptions_email"), ["email"], unique=False)

    for table, key, target in (
        ("alert_matched_articles", "article_id", "articles"),
        ("alert_matched_tags", "tag_id", "tags"),
    ):
        op.create_table(
            table,
            sa.Column(key, sa.Integer() if target == "tags" else BIG_ID, nullable=False),
            sa.Column("matched_at", UTC_DT, nullable=False),
            sa.Column("held_back", sa.Boolean(), nullable=False),
            sa.ForeignKeyConstraint(
                [key], [f"{target}.id"], name=op.f(f"fk_{table}_{key}_{target}"), ondelete="CASCADE"
            ),
            sa.PrimaryKeyConstraint(key, name=op.f(f"pk_{table}")),
        )

    op.create_table(
        "alert_emails",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due_at", UTC_DT, nullable=False),
        sa.Column("next_attempt_at", UTC_DT, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_until", UTC_DT, nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_DT, nullable=False),
        sa.Column("sent_at", UTC_DT, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_emails")),
        sa.UniqueConstraint("message_id", name=op.f("uq_alert_emails_message_id")),
    )
    with op.batch_alter_table("alert_emails", schema=None) as batch_op:
        batch_op.create_index(
            "ix_alert_emails_status_next", ["status", "next_attempt_at"], unique=False
        )

    op.create_table(
        "alert_outbox",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("item_key", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("article_id", BIG_ID, nullable=True),
        sa.Column("tag_id", sa.Integer(), nullable=True),
        sa.Column("subscription_id", sa.Integer(), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("email_id", BIG_ID, nullable=False),
        sa.Column("created_at", UTC_DT, nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_alert_outbox_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["email_id"],
            ["alert_emails.id"],
            name=op.f("fk_alert_outbox_email_id_alert_emails"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["alert_subscriptions.id"],
            name=op.f("fk_alert_outbox_subscription_id_alert_subscriptions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"], name=op.f("fk_alert_outbox_tag_id_tags"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_outbox")),
        sa.UniqueConstraint("recipient", "item_key", name="uq_alert_outbox_item"),
    )
    with op.batch_alter_table("alert_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_outbox_article_id"), ["article_id"])
        batch_op.create_index(batch_op.f("ix_alert_outbox_email_id"), ["email_id"])

    # History is not news: what exists now counts as matched (see the module docstring).
    now = sa.literal(datetime.now(UTC), UTC_DT)
    for table, key, target in (
        ("alert_matched_articles", "article_id", "articles"),
        ("alert_matched_tags", "tag_id", "tags"),
    ):
        matched = sa.table(table, sa.column(key), sa.column("matched_at"), sa.column("held_back"))
        existing = sa.table(target, sa.column("id"))
        op.execute(
            matched.insert().from_select(
                [key, "matched_at", "held_back"], sa.select(existing.c.id, now, sa.false())
            )
        )


def downgrade() -> None:
    op.drop_table("alert_outbox")
    op.drop_table("alert_emails")
    op.drop_table("alert_matched_tags")
    op.drop_table("alert_matched_articles")
    with op.batch_alter_table("alert_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_subscriptions_email"))
    op.drop_table("alert_subscriptions")
