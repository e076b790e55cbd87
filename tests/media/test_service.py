"""Media service: bounded image decoding."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from scrapbook.core.config import Settings
from scrapbook.media import service
from tests.samples import plain_jpeg


def test_only_image_workers_images_decode_at_once(monkeypatch, tmp_path):
    real = service.process_image
    lock = threading.Lock()
    running = peak = 0

    def counting(*args, **kwargs):
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            return real(*args, **kwargs)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(service, "process_image", counting)
    settings = Settings(image_workers=2)
    stored = tmp_path / "source"
    stored.write_bytes(plain_jpeg(1200, 900))
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: service.clean_image_file(stored, settings), range(12)))
    assert all(r.width == 1200 for r in results)
    assert 1 <= peak <= 2  # six workers at once, at most two decodes at a time
