from schema.payments.mutations import PaymentsMutation
from schema.payments.queries import PaymentsQuery

__all__ = ["PaymentsMutation", "PaymentsQuery"]
