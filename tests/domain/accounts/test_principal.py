"""The one gate of staff actions: a permission counts only over the brands it reaches."""

from __future__ import annotations

import uuid

import pytest

from domain.accounts.models import PrincipalKind
from domain.accounts.permissions import Permission, permissions_for
from domain.accounts.principal import (
    EVERY_BRAND,
    Principal,
    Reach,
    holds_permission,
    require_permission,
)
from domain.kernel.errors import PermissionDenied


def admin(brands: tuple[str, ...] | None) -> Principal:
    return Principal(
        PrincipalKind.STAFF, uuid.uuid4(), uuid.uuid4(), "aurora", True, roles=("admin",),
        permissions=permissions_for(["admin"]), staff_brands=brands,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("brands", "over", "allowed"),
    [
        (("aurora",), "aurora", True),
        (("aurora",), "kumo", False),
        (("aurora",), ["aurora"], True),
        (("aurora",), ["aurora", "kumo"], False),
        (("aurora", "kumo"), ["aurora", "kumo"], True),
        (("aurora", "kumo", "northstar"), EVERY_BRAND, False),  # a brand to come is not theirs
        ((), "aurora", False),
        (None, "kumo", True),
        (None, ["aurora", "kumo"], True),
        (None, EVERY_BRAND, True),
    ],
)
def test_a_permission_counts_only_over_the_staff_members_brands(
    brands: tuple[str, ...] | None, over: Reach, allowed: bool
) -> None:
    staff = admin(brands)

    assert holds_permission(staff, Permission.MARKET_TRADE, over) is allowed
    if not allowed:
        with pytest.raises(PermissionDenied) as refused:
            require_permission(staff, Permission.MARKET_TRADE, over, field="brands")
        assert (refused.value.message, refused.value.field) == (
            "That reaches beyond your brands.",
            "brands",
        )


def test_without_the_permission_the_scope_does_not_matter() -> None:
    support = Principal(
        PrincipalKind.STAFF, uuid.uuid4(), uuid.uuid4(), "aurora", True, roles=("support",),
        permissions=permissions_for(["support"]),
    )  # fmt: skip

    with pytest.raises(PermissionDenied) as refused:
        require_permission(support, Permission.MARKET_TRADE, "aurora", field="brands")
    assert refused.value.field is None
