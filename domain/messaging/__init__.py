"""The player's inbox: messages from the operator and the platform."""
