"""Schemathesis hooks (tests/api/schemathesis.toml): tus sends its bytes as
application/offset+octet-stream, which schemathesis serializes as it does octet-stream."""

import schemathesis

schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
