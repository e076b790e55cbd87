import re

from scrapbook.core.security import (
    ClientFingerprint,
    hash_password,
    hash_receipt,
    new_receipt_code,
    normalise_receipt_code,
    verify_password,
)


def test_receipt_codes_are_grouped_crockford_and_unique():
    codes = {new_receipt_code() for _ in range(500)}
    assert len(codes) == 500
    for code in list(codes)[:50]:
        assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{4}-){4}[0-9A-HJKMNP-TV-Z]{4}", code)


def test_receipt_normalisation_forgives_case_separators_and_lookalikes():
    code = "0A1B-CDEF-GH1J-KMNP-QRST"
    assert hash_receipt(code) == hash_receipt("oa1b cdef ghij kmnp qrst")
    assert normalise_receipt_code("too short") is None
    assert hash_receipt("") is None


def test_passwords_use_argon2id():
    digest = hash_password("a long passphrase")
    assert digest.startswith("$argon2id$")
    assert verify_password(digest, "a long passphrase")
    assert not verify_password(digest, "wrong")
    assert not verify_password("not a hash", "wrong")


def test_client_fingerprint_is_keyed_and_never_the_address():
    fp = ClientFingerprint("server secret " + "x" * 32)
    a = fp("203.0.113.9")
    assert a == fp("203.0.113.9") and a != fp("203.0.113.10")
    assert "203.0.113.9" not in a
    # Every process of one deployment agrees (shared limits); another secret does not.
    assert ClientFingerprint("server secret " + "x" * 32)("203.0.113.9") == a
    assert ClientFingerprint("another secret " + "y" * 32)("203.0.113.9") != a


def test_the_fingerprint_key_changes_every_day():
    import datetime as dt

    fp = ClientFingerprint("server secret " + "x" * 32)
    today = dt.date(2026, 12, 2)
    keys = {fp.day_key(today + dt.timedelta(days=n)) for n in range(30)}
    assert len(keys) == 30 and fp.day_key(today) == fp.day_key(dt.date(2026, 12, 2))


def test_ipv6_clients_count_by_their_64_and_mapped_ipv4_as_ipv4():
    fp = ClientFingerprint("server secret " + "x" * 32)
    assert fp("2001:db8:1:2:aaaa::1") == fp("2001:db8:1:2:ffff::9")
    assert fp("2001:db8:1:2::1") != fp("2001:db8:1:3::1")
    assert fp("::ffff:203.0.113.9") == fp("203.0.113.9")
