"""Staff roles and the named permissions they grant. Enforced in services and in GraphQL."""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType


class Permission(StrEnum):
    PLAYER_READ = "player.read"
    PLAYER_STATUS_WRITE = "player.status.write"
    PLAYER_SESSIONS_REVOKE = "player.sessions.revoke"
    PLAYER_MESSAGE_SEND = "player.message.send"
    # Notes on a player's profile (support and risk write them; player.read reads them).
    PLAYER_NOTE_WRITE = "player.note.write"
    WALLET_READ = "wallet.read"
    WALLET_ADJUST = "wallet.adjust"
    WITHDRAWAL_APPROVE = "withdrawal.approve"
    MARKET_TRADE = "market.trade"
    BET_VOID = "bet.void"
    CASINO_MANAGE = "casino.manage"
    # Casino rounds with their provider transactions, totals and big wins (read only).
    CASINO_RECONCILE = "casino.reconcile"
    REPORT_READ = "report.read"
    # The affiliate programme: affiliates, their plans and tracking codes, and running
    # monthly statements (which book commissions through the ledger).
    AFFILIATE_MANAGE = "affiliate.manage"
    # Bonus offers, grants to players and cancelling grants (CRM).
    BONUS_MANAGE = "bonus.manage"
    STAFF_MANAGE = "staff.manage"
    AUDIT_READ = "audit.read"
    # A brand's theme: save palettes, publish and roll back (admin only today).
    THEME_MANAGE = "theme.manage"
    # The KYC review queue: decide checks the provider sent to manual review.
    KYC_REVIEW = "kyc.review"
    # The AML and harm-monitoring risk queue: alerts, interactions and outcomes.
    AML_REVIEW = "aml.review"
    # Support chat: the queue, taking conversations, replying, the player's context.
    SUPPORT_CHAT = "support.chat"


class Role(StrEnum):
    ADMIN = "admin"
    SUPPORT = "support"
    RISK = "risk"
    CRM = "crm"
    FINANCE = "finance"
    TRADER = "trader"


P = Permission
ROLE_PERMISSIONS = MappingProxyType(
    {
        Role.ADMIN: frozenset(Permission),
        Role.SUPPORT: frozenset(
            {P.PLAYER_READ, P.PLAYER_SESSIONS_REVOKE, P.WALLET_READ, P.SUPPORT_CHAT,
             P.PLAYER_NOTE_WRITE}
        ),
        Role.RISK: frozenset(
            {P.PLAYER_READ, P.PLAYER_STATUS_WRITE, P.PLAYER_SESSIONS_REVOKE, P.WALLET_READ,
             P.PLAYER_NOTE_WRITE,
             P.BET_VOID, P.AUDIT_READ, P.CASINO_RECONCILE, P.KYC_REVIEW, P.AML_REVIEW}
        ),
        Role.CRM: frozenset(
            {P.PLAYER_READ, P.PLAYER_MESSAGE_SEND, P.REPORT_READ, P.BONUS_MANAGE}
        ),
        Role.FINANCE: frozenset(
            {P.PLAYER_READ, P.WALLET_READ, P.WALLET_ADJUST, P.WITHDRAWAL_APPROVE, P.REPORT_READ,
             P.AUDIT_READ, P.CASINO_RECONCILE, P.AFFILIATE_MANAGE}
        ),
        Role.TRADER: frozenset({P.MARKET_TRADE, P.BET_VOID, P.REPORT_READ}),
    }
)  # fmt: skip


def permissions_for(roles: list[str]) -> frozenset[Permission]:
    granted: frozenset[Permission] = frozenset()
    for role in roles:
        granted |= ROLE_PERMISSIONS.get(Role(role), frozenset())
    return granted
