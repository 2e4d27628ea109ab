"""Affiliates: tracking codes captured at registration, commission plans (CPA, RevShare,
hybrid), monthly statements from the reporting read model, postbacks and the
affiliate-facing view."""
