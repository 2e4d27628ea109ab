from schema.affiliates.mutations import AffiliatesMutation
from schema.affiliates.queries import AffiliatesQuery

__all__ = ["AffiliatesMutation", "AffiliatesQuery"]
