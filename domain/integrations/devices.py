"""Device identification (a fingerprinting provider) as a port.

A small script on the brand's sites asks the provider for a token describing the browser;
the site passes the token on, and the operator asks the provider what it means: a stable
device id and risk signals (emulator, anonymising proxy, tampered browser...). The answer
feeds the duplicate-account and bonus-abuse checks (compliance.linking). Every call is
bounded by a timeout; a provider that does not answer is `DeviceUnavailable`, and the
caller goes on without a device (identification is a signal, never a gate).

`SandboxDevices` is the built-in test provider. Its tokens are what its own browser script
(or a test) makes with `token_for`: `sbx1.<device>.<signals>.<signature>`, signed with the
provider's key, so a token made up by a client is refused like a real provider refuses an
unknown one. A device name containing `device-down` makes it answer an error and
`device-slow` makes it answer after the caller's timeout.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Final, Protocol

from domain.kernel.errors import DomainError

DEVICE_CALL_TIMEOUT_S: Final = 2.0
DEV_DEVICE_SECRET: Final = "dev-only-device-fingerprint-secret"  # noqa: S105
TOKEN_LENGTH_MAX: Final = 500
# Risk signals a provider may report (others are dropped).
RISK_SIGNALS: Final = frozenset({"emulator", "proxy", "tampered", "headless", "incognito"})
_NAME = re.compile(r"^[a-z0-9-]{1,64}$")


class DeviceUnavailable(DomainError):
    code = "DEVICE_UNAVAILABLE"
    message = "The device could not be identified."


class InvalidDeviceToken(DomainError):
    code = "INVALID_DEVICE_TOKEN"
    message = "The device token is not valid."


@dataclass(frozen=True)
class DeviceSignal:
    device_id: str
    risk_signals: frozenset[str]


class DeviceIdentifier(Protocol):
    name: str

    async def identify(self, token: str) -> DeviceSignal:
        """The device a browser token stands for. Errors: InvalidDeviceToken,
        DeviceUnavailable."""
        ...


async def identify(
    provider: DeviceIdentifier, token: str, *, timeout_s: float = DEVICE_CALL_TIMEOUT_S
) -> DeviceSignal:
    """Ask within `timeout_s`. Errors: InvalidDeviceToken (malformed or refused by the
    provider), DeviceUnavailable (no answer in time, or an error)."""
    if not token or len(token) > TOKEN_LENGTH_MAX or not token.isascii():
        raise InvalidDeviceToken(field="token")
    try:
        async with asyncio.timeout(timeout_s):
            found = await provider.identify(token)
    except (TimeoutError, OSError):
        raise DeviceUnavailable() from None
    return DeviceSignal(found.device_id, found.risk_signals & RISK_SIGNALS)


class SandboxDevices:
    """The built-in test provider (see the module's docstring)."""

    name = "sandbox-devices"

    def __init__(self, secret: str = DEV_DEVICE_SECRET, *, delay_s: float = 0.005) -> None:
        self._secret = secret
        self._delay_s = delay_s

    def _signature(self, body: str) -> str:
        return hmac.new(self._secret.encode(), body.encode(), hashlib.sha256).hexdigest()[:32]

    def token_for(self, device: str, *signals: str) -> str:
        """What the provider's browser script hands the site for `device`."""
        if not _NAME.match(device) or not all(_NAME.match(signal) for signal in signals):
            raise ValueError("device and signal names: lower-case letters, digits, dashes")
        body = f"sbx1.{device}.{'+'.join(sorted(signals))}"
        return f"{body}.{self._signature(body)}"

    async def identify(self, token: str) -> DeviceSignal:
        await asyncio.sleep(self._delay_s)
        parts = token.split(".")
        if len(parts) != 4 or parts[0] != "sbx1":
            raise InvalidDeviceToken(field="token")
        body, signature = ".".join(parts[:3]), parts[3]
        if not hmac.compare_digest(self._signature(body), signature):
            raise InvalidDeviceToken(field="token")
        device = parts[1]
        if "device-down" in device:
            raise DeviceUnavailable()
        if "device-slow" in device:
            await asyncio.sleep(DEVICE_CALL_TIMEOUT_S * 3)
        # The provider's id is stable per device and says nothing of the name the test gave.
        device_id = "dev_" + hashlib.sha256(f"{self.name}:{device}".encode()).hexdigest()[:24]
        signals = frozenset(signal for signal in parts[2].split("+") if signal)
        return DeviceSignal(device_id, signals)


def device_identifier(*, production: bool) -> DeviceIdentifier:
    """The deployment's fingerprinting provider. Only the built-in test provider ships,
    and only outside production; in production no provider has an adapter yet:
    DeviceUnavailable (identification is a signal, so nothing else stops)."""
    if production:
        raise DeviceUnavailable()
    return SandboxDevices()
