# SatuPintu worker / gateway image. docker-compose.yml picks the role with `command:`
# (satupintu worker | satupintu gateway ... | satupintu init-db).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# libmagic1: python-magic detects upload types by content.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libmagic1 \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/satupintu --shell /usr/sbin/nologin satupintu \
    && install -d -o satupintu -g satupintu -m 0750 /var/lib/satupintu

WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir . \
    && rm -rf /app/build /app/*.egg-info \
    && python -m compileall -q /app

# The code finds templates/ and static/ beside its packages (store.settings.PROJECT_ROOT),
# and those are not part of the wheel: run the packages from /app, where they sit.
ENV PYTHONPATH=/app \
    SATUPINTU_VAR_DIR=/var/lib/satupintu \
    SATUPINTU_DEV_MODE=false

USER satupintu
EXPOSE 8000
CMD ["satupintu", "gateway", "--host", "0.0.0.0", "--port", "8000"]
