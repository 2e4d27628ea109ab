"""Every context's tables in one metadata, for Alembic and the schema-drift test."""

from domain.accounts import models as accounts_models
from domain.affiliates import models as affiliates_models
from domain.bonuses import models as bonuses_models
from domain.brands import models as brands_models
from domain.casino import models as casino_models
from domain.compliance import models as compliance_models
from domain.compliance.aml import models as aml_models
from domain.compliance.kyc import models as kyc_models
from domain.kernel import audit, outbox
from domain.kernel.db import Base
from domain.messaging import models as messaging_models
from domain.originals import models as originals_models
from domain.payments import models as payments_models
from domain.reporting import models as reporting_models
from domain.segments import models as segments_models
from domain.sportsbook import models as sportsbook_models
from domain.wallets import models as wallets_models

metadata = Base.metadata
__all__ = [
    "accounts_models",
    "affiliates_models",
    "aml_models",
    "audit",
    "bonuses_models",
    "brands_models",
    "casino_models",
    "compliance_models",
    "kyc_models",
    "messaging_models",
    "metadata",
    "originals_models",
    "outbox",
    "payments_models",
    "reporting_models",
    "segments_models",
    "sportsbook_models",
    "wallets_models",
]
