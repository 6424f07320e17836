# geoservice application image (used by docker-compose.yml). It installs what
# `make serve` installs: requirements/serve.txt (the `serve` extra, hash-locked), then
# the project itself. tests/test_deployment.py checks this file against pyproject.toml,
# the Makefile and the folders the settings point at (no image is built in CI).
#
#   docker build --build-arg GIT_COMMIT=$(git rev-parse HEAD) -t geoservice .

# Browser libraries (MapLibre GL JS, Leaflet and plugins) from npm, as `make web` does.
FROM python:3.11-slim-bookworm AS web
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /web
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY geoservice/maps/vendor.py ./
RUN python vendor.py node_modules vendor && mkdir -p vendor/maplibre-gl \
    && cp node_modules/maplibre-gl/dist/maplibre-gl.mjs node_modules/maplibre-gl/dist/maplibre-gl-worker.mjs \
          node_modules/maplibre-gl/dist/maplibre-gl-shared.mjs node_modules/maplibre-gl/dist/maplibre-gl.css \
          vendor/maplibre-gl/

FROM python:3.11-slim-bookworm
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

# Dependencies first (a layer that changes only with the lock), exactly as locked.
COPY requirements/serve.txt ./requirements/serve.txt
RUN pip install --require-hashes -r requirements/serve.txt

# The package (its templates, static files, sample-data specs and tables are package
# data), with the browser libraries it serves, installed without dependencies.
COPY pyproject.toml README.md ./
COPY geoservice ./geoservice
COPY --from=web /web/vendor ./geoservice/static/vendor
RUN pip install --no-deps . && rm -rf build geoservice.egg-info

# What the service reads at run time: the study areas (area.yaml, layer files,
# indicators/ of each area) and the style files. Owned by root: read only to the app.
COPY layers ./layers
COPY styles ./styles
COPY data/README.md ./data/README.md

# The app writes only under data/ (the GeoPackage store, key and job files, tile
# cache, layers created at run time): a volume in docker-compose.yml.
RUN useradd --system --uid 10001 --gid 0 --create-home --home-dir /home/geoservice geoservice \
    && mkdir -p /app/data \
    && chown -R 10001:0 /app/data
ENV GEOSERVICE_HOST=0.0.0.0 GEOSERVICE_PORT=8000 \
    GEOSERVICE_LAYERS_DIR=/app/layers GEOSERVICE_STYLES_DIR=/app/styles \
    GEOSERVICE_DATA_DIR=/app/data
RUN geoservice check-layers

# The commit reported by `geoservice --version` and on the landing page.
ARG GIT_COMMIT=unknown
ENV GEOSERVICE_GIT_COMMIT=${GIT_COMMIT}

USER 10001
EXPOSE 8000
# Ready means the store, the key file and the job file answer (/readyz). The first
# start builds the sample layers, hence the long start period.
HEALTHCHECK --interval=30s --timeout=5s --start-period=300s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('GEOSERVICE_PORT', '8000') + '/readyz', timeout=4)" || exit 1
CMD ["sh", "-c", "geoservice data build --if-missing && exec geoservice serve"]
