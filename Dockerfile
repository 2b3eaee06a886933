# The Veille image: `veille serve` against the Prefect server named by PREFECT_API_URL; the
# same image runs docker-compose.yml's Dask scheduler and workers and its Prefect worker.
FROM python:3.11-slim

WORKDIR /app
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONUNBUFFERED=1 \
    PREFECT_SERVER_ANALYTICS_ENABLED=false \
    VEILLE_DB=/data/veille.duckdb

COPY pyproject.toml constraints.txt README.md ./
COPY extractors extractors
COPY storage storage
COPY flows flows
RUN pip install --no-cache-dir -c constraints.txt . \
    && useradd --create-home veille \
    && mkdir -p /data /inbox \
    && chown veille /data /inbox
USER veille

VOLUME ["/data"]
CMD ["veille", "serve", "--config", "/config/veille.toml", "--watch", "/inbox"]
