"""Player protection: the guard every deposit, withdrawal and wager passes (limits,
exclusion and KYC rules join it as the compliance issue lands)."""
