from schema.compliance.aml import AmlMutation, AmlQuery
from schema.compliance.kyc import KycMutation, KycQuery
from schema.compliance.mutations import ComplianceMutation

__all__ = ["AmlMutation", "AmlQuery", "ComplianceMutation", "KycMutation", "KycQuery"]
