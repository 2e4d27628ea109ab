"""KYC: the player's profile, verification tiers through a provider port, the review queue
and the gates the jurisdiction pack puts in front of deposits, play and withdrawals."""
