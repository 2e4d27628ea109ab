from schema.compliance.mutations import ComplianceMutation

__all__ = ["ComplianceMutation"]
