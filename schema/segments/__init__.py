from schema.segments.mutations import SegmentsMutation
from schema.segments.queries import SegmentsQuery

__all__ = ["SegmentsMutation", "SegmentsQuery"]
