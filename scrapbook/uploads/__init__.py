"""Resumable uploads (tus 1.0) at /api/uploads/: big audio and video files over bad connections."""
