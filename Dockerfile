# geoservice application image (used by docker-compose.yml)

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
ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1
COPY pyproject.toml README.md ./
COPY geoservice ./geoservice
COPY layers ./layers
COPY styles ./styles
COPY data/README.md ./data/README.md
COPY --from=web /web/vendor ./geoservice/static/vendor
RUN pip install '.[maps]'
ENV GEOSERVICE_HOST=0.0.0.0 GEOSERVICE_PORT=8000 \
    GEOSERVICE_LAYERS_DIR=/app/layers GEOSERVICE_STYLES_DIR=/app/styles \
    GEOSERVICE_DATA_DIR=/app/data
EXPOSE 8000
CMD ["sh", "-c", "geoservice data build --if-missing && geoservice serve"]
