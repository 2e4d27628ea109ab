from schema.compliance.kyc import KycMutation, KycQuery
from schema.compliance.mutations import ComplianceMutation

__all__ = ["ComplianceMutation", "KycMutation", "KycQuery"]
