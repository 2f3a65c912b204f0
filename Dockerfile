# naltrexone-cds: the CDS Hooks service, nginx in front of granian workers (see README "Run in production").
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NALTREXONE_CDS_STATE_DIR=/app/state \
    PROMETHEUS_MULTIPROC_DIR=/tmp/naltrexone-cds-metrics

WORKDIR /app
COPY pyproject.toml README.md ./
COPY plugin ./plugin
COPY fhir_profiles ./fhir_profiles
# nginx: `serve` runs it in front of the workers to buffer every request (slow clients).
# The wheel carries fhir_profiles/ (value sets, profiles) and the migrations inside the package; the
# extras are the PostgreSQL driver and the Redis client of a multi-instance deployment (deploy/).
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx \
    && rm -rf /var/lib/apt/lists/* \
    && pip install '.[postgres,redis]' \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin cds \
    && mkdir -p /app/state \
    && chown cds /app/state

USER cds
EXPOSE 8080
# SIGTERM (docker stop): nginx stops listening, the workers finish in-flight calls (20 s graceful timeout).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2).status == 200 else 1)"]
ENTRYPOINT ["naltrexone-cds", "serve", "--host", "0.0.0.0"]
