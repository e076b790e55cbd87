"""Migrations on a fresh SQLite database: up, down and up again; data kept across 0003."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect, text

from scrapbook.cli import ROOT


def _config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.attributes["database_url"] = url
    return cfg


def test_upgrade_downgrade_upgrade(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    cfg = _config(url)
    command.upgrade(cfg, "head")
    command.downgrade(cfg, "base")
    engine = create_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    command.upgrade(cfg, "head")
    assert "contribution" in inspect(engine).get_table_names()
    engine.dispose()


def test_publication_order_is_backfilled_by_day_then_arrival(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    cfg = _config(url)
    command.upgrade(cfg, "0002")
    engine = create_engine(url)
    rows = [
        ("a" * 16, "2026-01-02"),
        ("b" * 16, "2026-01-01"),
        ("c" * 16, "2026-01-02"),
        ("d" * 16, None),
    ]
    with engine.begin() as conn:
        for i, (cid, day) in enumerate(rows):
            conn.execute(
                text(
                    "INSERT INTO contribution (id, kind, form, title, body, licence, status,"
                    " channel, received_on, published_on, receipt_hash, at_risk, version)"
                    " VALUES (:id, 'text', 'poem', '', 'x', 'cc-by-4.0', :status, 'web',"
                    " '2026-01-01', :day, :hash, 0, 1)"
                ),
                {"id": cid, "day": day, "status": "approved" if day else "pending", "hash": str(i)},
            )
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        seq = dict(conn.execute(text("SELECT id, published_seq FROM contribution")).all())
    engine.dispose()
    assert seq == {"b" * 16: 1, "a" * 16: 2, "c" * 16: 3, "d" * 16: None}


def test_audit_events_gain_their_entity_and_directory_events_leave_changes(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    cfg = _config(url)
    command.upgrade(cfg, "0004")
    engine = create_engine(url)
    insert = text("INSERT INTO audit_event (at, actor, action, contribution_id, changes)"
                  " VALUES ('2026-01-01', 'mod', :action, :cid, :changes)")
    with engine.begin() as conn:
        conn.execute(insert, {"action": "approved", "cid": "a" * 16,
                              "changes": '{"status": ["pending", "approved"]}'})
        conn.execute(insert, {"action": "directory_edit", "cid": None,
                              "changes": '{"entity": "service", "id": "s-1", "fields": {}}'})
    command.upgrade(cfg, "head")
    query = text("SELECT action, entity, entity_id, changes FROM audit_event ORDER BY pk")
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(query)]
    assert rows == [
        ("approved", "contribution", "a" * 16, '{"status": ["pending", "approved"]}'),
        ("directory_edit", "service", "s-1", '{"fields": {}}'),
    ]
    command.downgrade(cfg, "0004")
    with engine.connect() as conn:
        back = [tuple(r) for r in conn.execute(
            text("SELECT contribution_id, changes FROM audit_event ORDER BY pk"))]
    engine.dispose()
    assert back[0][0] == "a" * 16 and back[1][0] is None
    assert '"entity": "service"' in back[1][1] and '"id": "s-1"' in back[1][1]


def test_pages_are_read_down_an_index_not_sorted(database_url):
    """The gallery's and the queue's orders each have an index (alembic check cannot compare
    the queue's, which has a descending part), and on SQLite neither page sorts its rows."""
    from scrapbook.gallery.service import public_page_rows
    from scrapbook.models import Contribution

    engine = create_engine(database_url)
    names = {ix["name"] for ix in inspect(engine).get_indexes("contribution")}
    assert {"ix_contribution_gallery_order", "ix_contribution_queue_order"} <= names
    if engine.dialect.name == "sqlite":
        gallery = public_page_rows().order_by(
            Contribution.published_seq.desc(), Contribution.id.desc()).limit(25)
        queue = (text("SELECT pk FROM contribution WHERE status = 'pending' "
                      "ORDER BY at_risk DESC, received_on, pk LIMIT 25"))
        with engine.connect() as conn:
            for stmt in (gallery, queue):
                sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
                plan = " ".join(str(r) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
                assert "TEMP B-TREE" not in plan, plan
    engine.dispose()
