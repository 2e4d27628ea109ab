from schema.compliance.aml import AmlMutation, AmlQuery
from schema.compliance.kyc import KycMutation, KycQuery
from schema.compliance.linking import LinkingMutation, LinkingQuery
from schema.compliance.mutations import ComplianceMutation
from schema.compliance.subscriptions import ComplianceSubscription

__all__ = [
    "AmlMutation",
    "AmlQuery",
    "ComplianceMutation",
    "ComplianceSubscription",
    "KycMutation",
    "KycQuery",
    "LinkingMutation",
    "LinkingQuery",
]
