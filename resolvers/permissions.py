"""GraphQL permission classes over the domain's named permissions.

Services enforce the same permissions again; this layer fails fast and documents the rule
on the field. A denial is a GraphQL error with `extensions.code` (never masked).
"""

from __future__ import annotations

from typing import Any

from strawberry.exceptions import StrawberryGraphQLError
from strawberry.permission import BasePermission, PermissionExtension

from domain.accounts.permissions import Permission
from domain.accounts.principal import require_permission
from domain.kernel.errors import DomainError


class HasPermission(BasePermission):
    message = "You do not have permission to do this."

    def __init__(self, permission: Permission) -> None:
        # One instance serves every request: it must hold no per-request state.
        self.permission = permission

    async def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        try:
            # Over the request's brand: what every brand-scoped field reads and writes.
            context = info.context
            require_permission(await context.principal(), self.permission, context.brand.slug)
        except DomainError as error:
            raise StrawberryGraphQLError(error.message, extensions={"code": error.code}) from None
        return True

    @classmethod
    def extension(cls, permission: Permission) -> PermissionExtension:
        return PermissionExtension(permissions=[cls(permission)])
