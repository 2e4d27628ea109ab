"""Identity: players (per brand), staff users and roles, sessions, two-factor auth."""
