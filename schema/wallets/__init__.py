from schema.wallets.mutations import WalletsMutation
from schema.wallets.queries import WalletsQuery
from schema.wallets.subscriptions import WalletsSubscription

__all__ = ["WalletsMutation", "WalletsQuery", "WalletsSubscription"]
