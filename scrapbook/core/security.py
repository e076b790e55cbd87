"""Receipt codes, public ids, password hashing, session tokens and client fingerprints."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import re
import secrets
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# Crockford base32: no I, L, O or U, so a code read aloud or copied by hand survives.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RECEIPT_GROUPS = 5
_RECEIPT_GROUP_LEN = 4  # 20 characters x 5 bits = 100 bits of entropy
_CONFUSABLE = str.maketrans({"I": "1", "L": "1", "O": "0", "U": "V"})

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters


PUBLIC_ID = re.compile(r"^[A-Za-z0-9_-]{16}$")


def new_public_id() -> str:
    """A random, unguessable id for URLs (96 bits, 16 URL-safe characters)."""
    return secrets.token_urlsafe(12)


def is_public_id(value: str) -> bool:
    return bool(PUBLIC_ID.match(value))


def new_receipt_code() -> str:
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(_RECEIPT_GROUPS * _RECEIPT_GROUP_LEN))
    groups = [chars[i : i + _RECEIPT_GROUP_LEN] for i in range(0, len(chars), _RECEIPT_GROUP_LEN)]
    return "-".join(groups)


def normalise_receipt_code(code: str) -> str | None:
    """Upper-case, drop separators and map look-alikes; None when it cannot be a receipt."""
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum()).translate(_CONFUSABLE)
    if len(cleaned) != _RECEIPT_GROUPS * _RECEIPT_GROUP_LEN or any(
        ch not in _ALPHABET for ch in cleaned
    ):
        return None
    return cleaned


def hash_token(value: str) -> str:
    """SHA-256 of a high-entropy secret (receipt code, session token): enough, no salt needed."""
    return hashlib.sha256(value.encode()).hexdigest()


def hash_receipt(code: str) -> str | None:
    normal = normalise_receipt_code(code)
    return hash_token(normal) if normal else None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A hash that costs as much to check as a real one, so unknown usernames take as long.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def burn_password_check(password: str) -> None:
    verify_password(_DUMMY_HASH, password)


def new_token() -> str:
    return secrets.token_urlsafe(32)


class ClientFingerprint:
    """Keyed hash of a client address with a key that changes every day.

    It lets us count requests per client without ever holding the address itself. The day's
    key is derived from the server secret and the date (HMAC), so every process and machine
    of one deployment hashes a client alike (shared limits), and yesterday's hashes cannot be
    matched with today's.
    """

    def __init__(self, server_secret: str) -> None:
        self._secret = server_secret.encode()
        self._lock = threading.Lock()
        self._day: dt.date | None = None
        self._key = b""

    def day_key(self, day: dt.date) -> bytes:
        label = f"scrapbook client fingerprint {day.isoformat()}".encode()
        return hmac.new(self._secret, label, hashlib.sha256).digest()

    def __call__(self, address: str) -> str:
        address = _client_network(address)
        today = dt.datetime.now(dt.UTC).date()
        with self._lock:
            if self._day != today:
                self._day, self._key = today, self.day_key(today)
            key = self._key
        return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


def _client_network(address: str) -> str:
    """IPv6 clients are counted by their /64: one household or phone gets a whole /64."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return str(ip)
