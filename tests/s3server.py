"""A real S3-compatible server on loopback for the S3 backend tests (moto in server mode).

Register the fixtures with `pytest_plugins = ["tests.s3server"]` in tests/conftest.py, or
import them into a test module (then ask for `s3_settings` through `request.getfixturevalue`,
or silence ruff's F811 where it is a test argument):

    from tests.s3server import s3_server, s3_settings  # noqa: F401

`s3_server` (session) is the endpoint URL of a moto server started once per run on a free
loopback port; `s3_settings` (per test) is a dict of Settings overrides naming a fresh, empty
bucket, which is emptied and removed after the test. Requests go over real HTTP: nothing is
patched in boto3.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

KEY_ID = "scrapbook-test"
SECRET = "scrapbook-test-secret"  # noqa: S105 (moto accepts any credentials)
REGION = "us-east-1"


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """The endpoint URL of an S3-compatible server listening on 127.0.0.1."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one log line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def s3_client(endpoint_url: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
    )


@pytest.fixture
def s3_settings(s3_server: str) -> Iterator[dict[str, Any]]:
    """Settings overrides for the S3 backend with a fresh bucket (created by make_storage)."""
    bucket = f"test-{uuid.uuid4().hex[:20]}"
    yield {
        "storage_backend": "s3",
        "s3_bucket": bucket,
        "s3_endpoint_url": s3_server,
        "s3_region": REGION,
        "s3_access_key_id": KEY_ID,
        "s3_secret_access_key": SECRET,
    }
    client = s3_client(s3_server)
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                client.delete_object(Bucket=bucket, Key=item["Key"])
        client.delete_bucket(Bucket=bucket)
    except client.exceptions.NoSuchBucket:
        pass


def bucket_keys(settings: Any) -> list[str]:
    """Every key in the settings' bucket, to check what the app stored or erased."""
    client = s3_client(settings.s3_endpoint_url)
    keys: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=settings.s3_bucket):
        keys.extend(item["Key"] for item in page.get("Contents", []))
    return sorted(keys)
