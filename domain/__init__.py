"""The domain layer: one package per bounded context over a small shared kernel.

Nothing here imports a web, GraphQL or queue framework; callers own transactions.
"""
