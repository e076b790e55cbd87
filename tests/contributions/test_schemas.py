"""A contributor's contact address is a plain e-mail address, nothing more."""

from __future__ import annotations

import pytest

from tests.conftest import submit


@pytest.mark.parametrize(
    "email",
    [
        "a@b.cc?subject=hi&body=Please%20reply",
        "a@b.cc?cc=someone@else.cc",
        "mailto:a@b.cc",
        "a@b.cc,c@d.cc",
        "<a@b.cc>",
        "a@b",
        "a@@b.cc",
    ],
)
def test_contact_email_with_anything_but_an_address_is_refused(client, email):
    r = submit(client, contact_email=email)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "invalid_input" and "contact_email" in body["detail"]


def test_a_plain_contact_email_is_accepted_and_normalised(client, moderator):
    r = submit(client, contact_email="  Someone@Example.ORG ")
    assert r.status_code in (201, 202), r.text
    seen = moderator.get(f"/api/admin/contributions/{r.json()['id']}").json()
    assert seen["contact_email"] == "Someone@example.org"


def test_an_empty_contact_email_means_none(client, moderator):
    r = submit(client, contact_email=" ")
    assert r.status_code in (201, 202), r.text
    seen = moderator.get(f"/api/admin/contributions/{r.json()['id']}").json()
    assert seen["contact_email"] is None
