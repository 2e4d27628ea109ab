"""Casino: providers, games, game sessions and the providers' seamless-wallet callbacks."""
