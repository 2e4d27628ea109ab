"""Player protection: limits, time-outs, reality checks."""
