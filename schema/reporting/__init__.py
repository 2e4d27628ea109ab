from schema.reporting.queries import ReportingQuery

__all__ = ["ReportingQuery"]
