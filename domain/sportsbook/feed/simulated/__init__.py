"""The simulated sports behind the feed simulator (domain.sportsbook.feed.simulator): one
class per kind of event, each a deterministic story told from its own seed, priced by the
models of domain.sportsbook.markets and settled by its rules.

- `event`: what every simulated event shares (its markets, its messages in wire form);
- `football`, `tennis`, `basketball`, `racing`: matches, races and outrights;
- `schedule`: the competitions, their time zones and kick-off slots, and the week's
  fixtures drawn from a seed.
"""
