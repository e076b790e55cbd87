"""Media service: bounded image decoding."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from scrapbook.core.config import Settings
from scrapbook.media import service
from tests.samples import plain_jpeg


def test_only_image_workers_images_decode_at_once(monkeypatch):
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
    upload = [service.ImageUpload(plain_jpeg(1200, 900), None)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: service.process_images(upload, settings), range(12)))
    assert all(r[0].width == 1200 for r in results)
    assert 1 <= peak <= 2  # six requests at once, at most two decodes at a time
