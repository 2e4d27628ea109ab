from schema.reporting.queries import ReportingQuery
from schema.reporting.subscriptions import ReportingSubscription

__all__ = ["ReportingQuery", "ReportingSubscription"]
