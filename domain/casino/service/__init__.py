"""Casino services: launching games and answering the providers' wallet callbacks."""

from domain.casino.service.launch import Launch, launch
from domain.casino.service.settlement import rollback, win
from domain.casino.service.wallet import authenticate, balance, bet

__all__ = ["Launch", "authenticate", "balance", "bet", "launch", "rollback", "win"]
