"""The markets bettors expect: a catalogue of market types, each with its outcomes, its
specifiers and its settlement rule from the final score, and the pricing models that
quote them consistently. Pure: no I/O, no framework, exact arithmetic.

- `lines`: handicap and total lines (whole lines push, quarter lines split in two halves);
- `scores`: what a finished event is (a match score, a tennis match's sets, standings);
- `rules`: each market type's settlement, one grade per outcome, as the feed expresses
  results (result, void factor, dead-heat factor, place);
- `catalogue`: the market types, their names and outcomes;
- `pricing`: fair odds from a distribution of final scores, and the margin;
- `football`, `tennis`, `basketball`, `racing`: the models behind the simulator's prices.
"""
