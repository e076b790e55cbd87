"""Privacy: no client address, user agent or precise submission time is kept or logged."""

from __future__ import annotations

import logging
import re

from sqlalchemy import inspect, text

from tests.conftest import approve, submit

AGENT = "Mozilla/5.0 (PrivacyProbe 42)"


def test_no_address_agent_or_time_in_the_database_or_logs(client, moderator, app, caplog):
    caplog.set_level(logging.DEBUG)
    client.headers["User-Agent"] = AGENT
    client.headers["X-Forwarded-For"] = "198.51.100.77"
    cid = submit(client).json()["id"]
    approve(moderator, cid)

    engine = app.state.engine
    dump = []
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):  # noqa: S608
                dump.append(f"{table}: {tuple(row)}")
    everything = "\n".join(dump) + "\n" + caplog.text
    for secret in ("testclient", "198.51.100.77", AGENT, "PrivacyProbe"):
        assert secret not in everything
    # The contribution keeps a day only: no time-of-day column exists on it.
    columns = {c["name"]: str(c["type"]) for c in inspect(engine).get_columns("contribution")}
    assert not any("TIME" in t.upper() for t in columns.values()), columns
    contribution_rows = [line for line in dump if line.startswith("contribution:")]
    assert not re.search(r"\d{2}:\d{2}:\d{2}", "\n".join(contribution_rows))


def test_withdrawal_tombstone_keeps_only_the_day(client, moderator):
    r = submit(client)
    client.delete(r.json()["status_url"])
    event = moderator.get("/api/admin/audit").json()["items"][0]
    assert event["action"] == "withdrawn"
    assert event["at"].split("T")[1].startswith("00:00:00")
    assert event["reason"] is None and event["changes"] is None


def test_private_responses_are_not_cached(client):
    r = submit(client)
    assert r.headers["cache-control"] == "no-store"
    assert client.get(r.json()["status_url"]).headers["cache-control"] == "no-store"


def test_withdrawal_erases_content_from_earlier_audit_entries(client, moderator):
    r = submit(client, title="My sister Jane in Truro")
    cid = r.json()["id"]
    v = moderator.get(f"/api/admin/contributions/{cid}").json()["version"]
    v = moderator.patch(f"/api/admin/contributions/{cid}",
                        json={"version": v, "title": "A sister"}).json()["version"]
    moderator.post(f"/api/admin/contributions/{cid}/decision",
                   json={"action": "reject", "version": v, "note": "names Jane Smith",
                         "public_reason": "It names Jane, so we cannot share it."})
    client.delete(r.json()["status_url"])
    log = moderator.get("/api/admin/audit", params={"contribution_id": cid}).json()["items"]
    assert [e["action"] for e in log] == ["withdrawn", "rejected", "edited"]
    text = str(log)
    for leaked in ("Jane", "Truro", "sister"):
        assert leaked not in text
    assert log[1]["changes"]["status"] == ["pending", "rejected"]  # what happened stays
    assert log[2]["changes"] == {"title": "erased"}
