"""The odds feed, in one place.

- `port`: the messages an odds provider sends, their wire form and validation, and the two
  sides of the port (a source of messages, the sink that applies them).
- `simulator`: a simulated producer behind the port, and the loop that runs it in real time
  (`stakehouse dev`, `stakehouse feed-simulator`); `simulated`: the sports it plays, their
  calendar and stories (priced and settled by domain.sportsbook.markets).
- `processing`: applying one message to the book, in producer order per event, once.
- `results`: what the feed says of a market's results and cancellation, and the runs that
  bring its bets into line (corrections in any delivery order converge).
- `heartbeats`: producers' `alive` messages; a silent producer's markets are suspended.
- `wire_v1` and `schema/v1.json`: the versioned HTTP format (web/feed.py), validated on
  receipt, all or nothing.
- `producers`: per-producer sequence for HTTP producers; a gap holds the producer's
  markets suspended until its recovery ends with `snapshot_complete`.
- `events`: the outbox events the feed (and the trading tools) emit.

The worker's actor (`workers/actors/feed.py`) only decodes a message and calls
`processing.process_message`.
"""
