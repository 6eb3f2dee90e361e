# commit-radar container image. Build: `docker build -t commit-radar .`
# Offline (no image registry, no PyPI in the build): build a base image from Debian packages and
# the wheels on the host first, as .ci/container does, then
#   docker build --network host --build-arg BASE_IMAGE=commit-radar-base:bookworm -t commit-radar .
# The base must provide python3 (3.11+) with the venv module; the wheels in .ci/.wheels (the
# dependencies, and in build/ the build-system requirements of pyproject.toml) must fit the
# base's Python minor version. Both stages use the same base,
# because the virtualenv copied between them links to the base's python3.
ARG BASE_IMAGE=python:3.11-slim

FROM ${BASE_IMAGE} AS build
WORKDIR /src
RUN python3 -m venv /opt/commit-radar
# Wheels prepared on the host make this stage offline: the dependencies in .ci/.wheels/ and the
# tools that build the project's wheel in .ci/.wheels/build/ (.ci/container does this). The
# dependencies go in first, in a layer of their own that stays cached while they are unchanged.
COPY .ci/ .ci/
RUN if ls .ci/.wheels/*.whl >/dev/null 2>&1; then \
        /opt/commit-radar/bin/pip install --no-cache-dir --no-index --find-links .ci/.wheels .ci/.wheels/*.whl; \
    fi
COPY . .
# The project's wheel is built from this checkout; without prepared wheels, the dependencies' are
# built here too, from PyPI. Either way the virtualenv is filled from wheels only (--no-index), so
# the runtime stage copies a finished environment and needs no compiler, pip cache or network.
RUN set -eu; \
    if ls .ci/.wheels/*.whl >/dev/null 2>&1; then \
        /opt/commit-radar/bin/pip wheel --no-cache-dir --no-index --find-links .ci/.wheels/build \
            --no-deps --wheel-dir /tmp/wheels . ; \
    else \
        /opt/commit-radar/bin/pip wheel --no-cache-dir --wheel-dir /tmp/wheels . ; \
    fi; \
    /opt/commit-radar/bin/pip install --no-cache-dir --no-index --find-links /tmp/wheels \
        --find-links .ci/.wheels commit-radar; \
    /opt/commit-radar/bin/commit-radar --help >/dev/null

FROM ${BASE_IMAGE}
# A fixed numeric uid, so orchestrators can check runAsNonRoot and volumes can be chowned to it.
RUN useradd --uid 10001 --user-group --no-create-home --no-log-init --home-dir /data \
        --shell /usr/sbin/nologin commit-radar \
    && mkdir -p /data && chown commit-radar:commit-radar /data
COPY --from=build /opt/commit-radar /opt/commit-radar
# The SQLite default lives in the volume, so a replaced container keeps its subscriptions and
# delivery keys; a relative DATABASE_URL from a copied .env.example lands in /data too (WORKDIR).
ENV PATH=/opt/commit-radar/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATABASE_URL=sqlite:////data/commit-radar.db
WORKDIR /data
VOLUME ["/data"]
USER 10001:10001
EXPOSE 3000
# Python rather than curl: the base images carry no curl. PORT is read when the check runs, so a
# container started with another PORT is checked there. `commit-radar worker` serves no HTTP
# today, so compose.yaml turns this check off for that role.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"]
CMD ["commit-radar", "run"]
