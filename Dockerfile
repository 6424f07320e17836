# geoservice application image (used by docker-compose.yml)
FROM python:3.11-slim-bookworm
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1
COPY pyproject.toml README.md ./
COPY geoservice ./geoservice
COPY layers ./layers
COPY styles ./styles
COPY data/README.md ./data/README.md
RUN pip install .
ENV GEOSERVICE_HOST=0.0.0.0 GEOSERVICE_PORT=8000 \
    GEOSERVICE_LAYERS_DIR=/app/layers GEOSERVICE_STYLES_DIR=/app/styles \
    GEOSERVICE_DATA_DIR=/app/data
EXPOSE 8000
CMD ["sh", "-c", "geoservice data build --if-missing && geoservice serve"]
