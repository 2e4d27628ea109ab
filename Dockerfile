# syntax=docker/dockerfile:1
# The one Stakehouse image: API and sites (`stakehouse serve`), workers, scheduler and the
# migrate Job run it with different commands (k8s/base). Build: docker build -t stakehouse .
#
# Three stages: the site's JavaScript from its npm packages, the Python environment from the
# hashed lock file, and a slim runtime holding only those two and the source, run as a
# non-root user on a read-only root file system (Kubernetes mounts /tmp).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:20-bookworm-slim

# --- htmx and its SSE extension, from the npm registry (web/site/assets.py PACKAGES) ------
FROM ${NODE_IMAGE} AS assets
WORKDIR /assets/site
RUN npm install --no-audit --no-fund --omit=dev --prefix /assets/site htmx.org@2.0 htmx-ext-sse@2.2

# --- Python dependencies, pinned with hashes (requirements.lock) --------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY requirements.lock /tmp/requirements.lock
RUN /opt/venv/bin/pip install --require-hashes --no-deps -r /tmp/requirements.lock
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY schema ./schema
COPY resolvers ./resolvers
COPY workers ./workers
COPY web ./web
RUN /opt/venv/bin/pip install --no-deps .

# --- Runtime -----------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 stakehouse \
    && useradd --system --uid 10001 --gid stakehouse --home-dir /app --shell /usr/sbin/nologin stakehouse
COPY --from=build /opt/venv /opt/venv
COPY --from=assets /assets/site/node_modules /opt/stakehouse/data/site/node_modules
COPY themes /app/themes
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    STAKEHOUSE_ENV=production \
    STAKEHOUSE_DATA_DIR=/opt/stakehouse/data \
    STAKEHOUSE_THEMES_DIR=/app/themes
WORKDIR /app
USER 10001:10001
EXPOSE 8000
ENTRYPOINT []
CMD ["stakehouse", "serve"]
