"""Both storage backends pass the same tests: local files, and S3 over real HTTP (moto server)."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from scrapbook.core.config import Settings
from scrapbook.media.storage import FIXED_TIME, LocalStorage, S3Storage, Storage, make_storage
from tests.s3server import bucket_keys, s3_client

KEY = "ab/abcdefghijklmnop/display-12345678.webp"
DATA = bytes(range(256)) * 40  # 10,240 bytes, every offset distinguishable


@pytest.fixture(params=["local", "s3"])
def backend_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    overrides: dict[str, Any] = {}
    if request.param == "s3":
        overrides = request.getfixturevalue("s3_settings")
    return Settings(environment="test", uploads_dir=tmp_path / "uploads", **overrides)


@pytest.fixture
def storage(backend_settings: Settings) -> Storage:
    return make_storage(backend_settings)


def _read(storage: Storage, key: str, start: int, end: int) -> bytes:
    return b"".join(storage.read_range(key, start, end))


def test_make_storage_picks_the_backend_from_settings(storage, backend_settings):
    expected = S3Storage if backend_settings.storage_backend == "s3" else LocalStorage
    assert isinstance(storage, expected)


def test_put_size_and_read_ranges(storage):
    storage.put(KEY, DATA, "image/webp")
    assert storage.size(KEY) == len(DATA)
    assert _read(storage, KEY, 0, len(DATA) - 1) == DATA
    assert _read(storage, KEY, 0, 0) == DATA[:1]
    assert _read(storage, KEY, 1000, 4999) == DATA[1000:5000]
    assert _read(storage, KEY, len(DATA) - 100, len(DATA) - 1) == DATA[-100:]


def test_read_range_streams_in_chunks(storage):
    big = os.urandom(300_000)
    storage.put(KEY, big)
    chunks = list(storage.read_range(KEY, 0, len(big) - 1))
    assert len(chunks) > 1 and max(map(len, chunks)) <= 64 * 1024
    assert b"".join(chunks) == big


def test_put_file_streams_a_file_and_leaves_the_source(storage, tmp_path):
    source = tmp_path / "video.mp4"
    # Over the 8 MB multipart threshold, so S3 takes the multipart path.
    payload = os.urandom(1024 * 1024) * 9
    source.write_bytes(payload)
    key = "cd/abcdefghijklmnop/video-12345678.mp4"
    storage.put_file(key, source, "video/mp4")
    assert source.read_bytes() == payload
    assert storage.size(key) == len(payload)
    assert _read(storage, key, 5_000_000, 5_000_099) == payload[5_000_000:5_000_100]
    source.unlink()  # the caller may delete its file: the stored copy stays
    assert storage.size(key) == len(payload)


def test_local_copy_gives_a_readable_file(storage, backend_settings):
    storage.put(KEY, DATA)
    with storage.local_copy(KEY) as path:
        assert path.read_bytes() == DATA
    if backend_settings.storage_backend == "s3":
        assert not path.exists()  # the temporary download is gone after the block
        assert storage.path(KEY) is None
    else:
        assert path.exists() and storage.path(KEY) == path


def test_missing_keys(storage):
    assert storage.size(KEY) is None
    assert storage.path(KEY) is None
    with pytest.raises(FileNotFoundError):
        storage.read_range(KEY, 0, 10)
    with pytest.raises(FileNotFoundError), storage.local_copy(KEY):
        pass
    storage.delete(KEY)  # deleting a missing key is fine


def test_delete_removes_the_file(storage, backend_settings):
    other = "ab/abcdefghijklmnop/thumb-12345678.webp"
    storage.put(KEY, DATA)
    storage.put(other, DATA)
    storage.delete(KEY)
    assert storage.size(KEY) is None
    assert storage.size(other) == len(DATA)
    storage.delete(other)
    if backend_settings.storage_backend == "local":
        assert list(backend_settings.uploads_dir.iterdir()) == []  # empty key folders tidied
    else:
        assert bucket_keys(backend_settings) == []


def test_list_finds_every_key_under_a_folder(storage):
    for key in ("ab/asset1/video-1.mp4", "ab/asset1/thumb-2.webp", "ab/asset2/thumb-3.webp"):
        storage.put(key, b"x")
    assert storage.list("ab/asset1/") == ["ab/asset1/thumb-2.webp", "ab/asset1/video-1.mp4"]
    assert storage.list("cd/nothing/") == []


@pytest.mark.parametrize(
    "key",
    ["../outside", "ab/../../outside", "/etc/passwd", "ab//c", "ab/./c", "a\\..\\b", "", ".."],
)
def test_keys_cannot_escape_the_root(storage, key):
    for call in (
        lambda: storage.put(key, b"x"),
        lambda: storage.delete(key),
        lambda: storage.size(key),
        lambda: storage.read_range(key, 0, 1),
    ):
        with pytest.raises(ValueError, match="escapes the root"):
            call()


def test_presigned_url_serves_the_bytes_with_the_content_type(storage, backend_settings):
    storage.put(KEY, DATA, "application/octet-stream")
    url = storage.presigned_url(KEY, "image/webp", 60)
    if backend_settings.storage_backend == "local":
        assert url is None  # local media are always served through the app
        return
    assert url is not None and url.startswith(backend_settings.s3_endpoint_url or "")
    r = httpx.get(url)
    assert r.status_code == 200
    assert r.content == DATA
    assert r.headers["content-type"] == "image/webp"
    # moto does not check signatures or expiry, so only the signed terms are checked here.
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["60"] and query["X-Amz-Signature"]


def test_s3_objects_carry_no_metadata_of_ours(request, tmp_path):
    """LastModified is the server's and cannot be changed; we add no time (or anything) of ours."""
    settings = Settings(environment="test", **request.getfixturevalue("s3_settings"))
    storage = make_storage(settings)
    source = tmp_path / "a.m4a"
    source.write_bytes(DATA)
    storage.put(KEY, DATA, "image/webp")
    storage.put_file("ab/abcdefghijklmnop/audio-12345678.m4a", source, "audio/mp4")
    client = s3_client(settings.s3_endpoint_url)
    for key, content_type in ((KEY, "image/webp"),
                              ("ab/abcdefghijklmnop/audio-12345678.m4a", "audio/mp4")):
        head = client.head_object(Bucket=settings.s3_bucket, Key=key)
        assert head["Metadata"] == {}
        assert head["ContentType"] == content_type


def test_local_files_and_folders_do_not_keep_the_write_time(tmp_path):
    storage = LocalStorage(tmp_path / "uploads")
    source = tmp_path / "video.mp4"
    source.write_bytes(DATA)
    storage.put(KEY, DATA)
    storage.put_file("ab/abcdefghijklmnop/video-12345678.mp4", source, "video/mp4")
    stored = [storage.root / KEY, storage.root / "ab/abcdefghijklmnop/video-12345678.mp4"]
    folders = [storage.root / "ab/abcdefghijklmnop", storage.root / "ab", storage.root]
    for path in stored + folders:
        st = path.stat()
        assert (st.st_mtime, st.st_atime) == (FIXED_TIME, FIXED_TIME), path
    storage.delete(KEY)  # removing an entry changes its folder's time: put back too
    for path in folders:
        assert path.stat().st_mtime == FIXED_TIME, path
    assert not list(storage.root.rglob(".part-*"))


def test_local_put_file_across_filesystems_copies_in_chunks(tmp_path):
    """When a hard link is impossible the file is copied with a small, fixed buffer."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("needs a second filesystem (/dev/shm)")
    storage = LocalStorage(tmp_path / "uploads")
    source = shm / f"scrapbook-test-{os.getpid()}.bin"
    try:
        with open(source, "wb") as fh:
            for _ in range(32):
                fh.write(os.urandom(1024 * 1024))
        tracemalloc.start()
        storage.put_file("ab/abcdefghijklmnop/video-12345678.mp4", source, "video/mp4")
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        stored = storage.path("ab/abcdefghijklmnop/video-12345678.mp4")
        assert stored is not None and stored.stat().st_size == 32 * 1024 * 1024
        assert stored.stat().st_ino != source.stat().st_ino  # a copy, not a link
        assert peak < 4 * 1024 * 1024, peak  # 32 MB through a 1 MB buffer
    finally:
        source.unlink(missing_ok=True)


def test_local_put_file_on_one_filesystem_is_a_link(tmp_path):
    storage = LocalStorage(tmp_path / "uploads")
    source = tmp_path / "video.mp4"
    source.write_bytes(DATA)
    storage.put_file(KEY, source, "video/mp4")
    stored = storage.path(KEY)
    assert stored is not None and stored.stat().st_ino == source.stat().st_ino


def test_a_failed_write_leaves_nothing_behind(tmp_path):
    storage = LocalStorage(tmp_path / "uploads")
    with pytest.raises(FileNotFoundError):
        storage.put_file(KEY, tmp_path / "no-such-file", "video/mp4")
    assert storage.path(KEY) is None
    assert [p for p in storage.root.rglob("*") if p.is_file()] == []
