from schema.accounts.mutations import AccountsMutation
from schema.accounts.queries import AccountsQuery
from schema.accounts.subscriptions import AccountsSubscription

__all__ = ["AccountsMutation", "AccountsQuery", "AccountsSubscription"]
