"""Where media files live: a local folder (default) or S3-compatible object storage.

Stored files carry no exact time. Local files and their key folders get a fixed modification
and access time (1 January 2000 UTC) after every write or delete. An S3 object's LastModified
is set by the server and cannot be changed, so the S3 backend adds no time metadata of its own
and media are served through the app, which never passes that time on (see media/router.py).
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Protocol, runtime_checkable

from scrapbook.core.config import Settings

CHUNK = 64 * 1024
# 2000-01-01T00:00:00Z: the one modification/access time every stored local file carries.
FIXED_TIME = 946_684_800


@runtime_checkable
class Storage(Protocol):
    """One interface for both backends. Keys are `/`-separated relative paths made only by us."""

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        ...

    def put_file(self, key: str, path: Path, content_type: str) -> None:
        """Store a file's bytes, streamed (memory stays flat); `path` itself is left alone."""
        ...

    def delete(self, key: str) -> None:
        """Remove a key; a missing key is fine."""
        ...

    def list(self, prefix: str) -> list[str]:
        """Every key that starts with `prefix` (a folder such as `ab/<asset id>/`)."""
        ...

    def size(self, key: str) -> int | None:
        """The stored byte size, or None when the key is missing."""
        ...

    def local_copy(self, key: str) -> AbstractContextManager[Path]:
        """A readable file with the key's bytes for the block (FileNotFoundError when missing)."""
        ...

    def path(self, key: str) -> Path | None:
        """The file on local disk (local backend only; None otherwise or when missing)."""
        ...

    def read_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        """Bytes start..end (inclusive) in chunks. Missing key: FileNotFoundError, raised by the
        call itself (before any chunk), so a caller can still answer 404."""
        ...

    def presigned_url(self, key: str, content_type: str, seconds: int) -> str | None:
        """A GET URL valid for `seconds`, answered with `content_type` (S3); None for local."""
        ...


def check_key(key: str) -> str:
    """Refuse keys that could leave the storage root: absolute, `..`, empty parts, backslashes."""
    if (
        not key
        or key.startswith("/")
        or "\\" in key
        or "\x00" in key
        or any(part in ("", ".", "..") for part in key.split("/"))
    ):
        raise ValueError("storage key escapes the root")
    return key


class LocalStorage:
    """Files under one root folder; keys are relative paths made only by us."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _resolve(self, key: str) -> Path:
        check_key(key)
        target = (self.root / key).resolve()
        if not target.is_relative_to(self.root) or target == self.root:
            raise ValueError("storage key escapes the root")
        return target

    def _blur_times(self, start: Path) -> None:
        """Give `start` and every folder above it (up to the root) the fixed time: a folder's
        mtime changes whenever an entry is added or removed, which would date the action."""
        current = start
        while current.is_relative_to(self.root):
            try:
                os.utime(current, (FIXED_TIME, FIXED_TIME))
            except FileNotFoundError:
                pass
            if current == self.root:
                break
            current = current.parent

    @contextmanager
    def _writing(self, key: str) -> Iterator[tuple[Path, Path]]:
        """(temporary path, target): the temporary file becomes the target on success, so a
        reader never sees half a file, and is removed on failure."""
        target = self._resolve(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.parent / f".part-{secrets.token_hex(8)}"
        try:
            yield tmp, target
            os.utime(tmp, (FIXED_TIME, FIXED_TIME))
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        finally:
            self._blur_times(target.parent)

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        with self._writing(key) as (tmp, _):
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)

    def put_file(self, key: str, path: Path, content_type: str) -> None:
        with self._writing(key) as (tmp, _):
            try:
                # Same filesystem: a new name for the same bytes, instant whatever the size.
                os.link(path, tmp)
            except OSError:
                # Another filesystem (or no hard links): copied in chunks (sendfile on Linux).
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
                    shutil.copyfileobj(src, out, 1024 * 1024)

    def delete(self, key: str) -> None:
        target = self._resolve(key)
        target.unlink(missing_ok=True)
        # Tidy empty key folders, never the root itself.
        parent = target.parent
        while parent != self.root and parent.is_relative_to(self.root):
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent
        self._blur_times(parent)

    def list(self, prefix: str) -> list[str]:
        folder = self._resolve(prefix.rstrip("/"))
        # os.walk skips a folder that vanishes while it is being read (a job finishing and
        # removing its upload while the sweep lists them); rglob raised FileNotFoundError.
        return sorted(
            str((Path(top) / name).relative_to(self.root))
            for top, _, names in os.walk(folder) for name in names
        )

    def size(self, key: str) -> int | None:
        found = self.path(key)
        return found.stat().st_size if found else None

    @contextmanager
    def _local_copy(self, key: str) -> Iterator[Path]:
        found = self.path(key)
        if found is None:
            raise FileNotFoundError(key)
        yield found

    def local_copy(self, key: str) -> AbstractContextManager[Path]:
        return self._local_copy(key)

    def path(self, key: str) -> Path | None:
        target = self._resolve(key)
        return target if target.is_file() else None

    def read_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        fh = open(self._resolve(key), "rb")  # closed by _chunks
        fh.seek(start)
        return _chunks(fh, end - start + 1)

    def presigned_url(self, key: str, content_type: str, seconds: int) -> str | None:
        return None


def _chunks(fh: BinaryIO, remaining: int) -> Iterator[bytes]:
    with fh:
        while remaining > 0:
            chunk = fh.read(min(CHUNK, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk


class S3Storage:
    """Objects in one bucket of an S3-compatible store (AWS S3, MinIO), through boto3."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
    ) -> None:
        import boto3
        from boto3.s3.transfer import TransferConfig  # type: ignore[import-untyped, unused-ignore]
        from botocore.config import Config

        self.bucket = bucket
        self.region = region
        self._client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=Config(
                signature_version="s3v4",
                # MinIO and other self-hosted stores are addressed by path, not by subdomain.
                s3={"addressing_style": "path" if endpoint_url else "auto"},
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )
        # Multipart above 8 MB, 8 MB parts, 4 at a time: at most ~32 MB in flight per transfer.
        self._transfer = TransferConfig(
            multipart_threshold=8 * 1024 * 1024,
            multipart_chunksize=8 * 1024 * 1024,
            max_concurrency=4,
        )

    def ensure_bucket(self) -> None:
        """Create the bucket if it is missing (development and tests)."""
        from botocore.exceptions import ClientError

        try:
            self._client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if not _is_missing(exc):
                raise
            params: dict[str, Any] = {"Bucket": self.bucket}
            if self.region != "us-east-1":
                params["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
            self._client.create_bucket(**params)

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self._client.put_object(
            Bucket=self.bucket, Key=check_key(key), Body=data, ContentType=content_type
        )

    def put_file(self, key: str, path: Path, content_type: str) -> None:
        self._client.upload_file(
            str(path),
            self.bucket,
            check_key(key),
            ExtraArgs={"ContentType": content_type},
            Config=self._transfer,
        )

    def delete(self, key: str) -> None:
        # S3 answers a delete of a missing key with success too.
        self._client.delete_object(Bucket=self.bucket, Key=check_key(key))

    def list(self, prefix: str) -> list[str]:
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        )
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def size(self, key: str) -> int | None:
        from botocore.exceptions import ClientError

        try:
            head = self._client.head_object(Bucket=self.bucket, Key=check_key(key))
        except ClientError as exc:
            if _is_missing(exc):
                return None
            raise
        return int(head["ContentLength"])

    @contextmanager
    def _local_copy(self, key: str) -> Iterator[Path]:
        from botocore.exceptions import ClientError

        check_key(key)
        with tempfile.TemporaryDirectory(prefix="scrapbook-s3-") as workdir:
            target = Path(workdir) / PurePosixPath(key).name
            try:
                self._client.download_file(
                    self.bucket, key, str(target), Config=self._transfer
                )
            except ClientError as exc:
                if _is_missing(exc):
                    raise FileNotFoundError(key) from exc
                raise
            yield target

    def local_copy(self, key: str) -> AbstractContextManager[Path]:
        return self._local_copy(key)

    def path(self, key: str) -> Path | None:
        return None

    def read_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        from botocore.exceptions import ClientError

        try:
            answer = self._client.get_object(
                Bucket=self.bucket, Key=check_key(key), Range=f"bytes={start}-{end}"
            )
        except ClientError as exc:
            if _is_missing(exc):
                raise FileNotFoundError(key) from exc
            raise
        return _body_chunks(answer["Body"])

    def presigned_url(self, key: str, content_type: str, seconds: int) -> str | None:
        url: str = self._client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": check_key(key),
                    "ResponseContentType": content_type},
            ExpiresIn=seconds,
        )
        return url


def _body_chunks(body: Any) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(CHUNK)
    finally:
        body.close()


def _is_missing(exc: Exception) -> bool:
    error = getattr(exc, "response", {}).get("Error", {})
    return str(error.get("Code")) in {"404", "NoSuchKey", "NoSuchBucket", "NotFound"}


def make_storage(settings: Settings) -> Storage:
    """The storage backend the settings name: "local" (uploads_dir) or "s3"."""
    if settings.storage_backend == "s3":
        storage = S3Storage(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
        )
        if settings.environment != "production":
            storage.ensure_bucket()  # production buckets are made (and secured) by the operator
        return storage
    return LocalStorage(settings.uploads_dir)
