# Scrapbook: one image for `serve`, `worker` and `migrate` (docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --system --uid 10001 --no-create-home --home-dir /app scrapbook

# Installed in place (-e): migrations (alembic/) and the pages (frontend/) are read beside the
# package, not from site-packages. Every dependency ships wheels (PyAV brings FFmpeg).
COPY pyproject.toml alembic.ini ./
COPY alembic/ alembic/
COPY frontend/ frontend/
COPY scrapbook/ scrapbook/
RUN pip install -e . \
 && mkdir -p var uploads \
 && chown scrapbook:scrapbook var uploads

USER scrapbook
EXPOSE 8000
# Behind a proxy, set SCRAPBOOK_FORWARDED_ALLOW_IPS to its address (docker-compose.yml does).
CMD ["scrapbook", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "4"]
