from tests.schema.casino.support import catalogue

__all__ = ["catalogue"]
