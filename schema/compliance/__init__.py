from schema.compliance.aml import AmlMutation, AmlQuery
from schema.compliance.kyc import KycMutation, KycQuery
from schema.compliance.mutations import ComplianceMutation
from schema.compliance.subscriptions import ComplianceSubscription

__all__ = [
    "AmlMutation",
    "AmlQuery",
    "ComplianceMutation",
    "ComplianceSubscription",
    "KycMutation",
    "KycQuery",
]
