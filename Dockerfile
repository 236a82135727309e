# Production image: `sinkron` as the entry point, migrations applied at start,
# running as an unprivileged user. The stand-ins and the demo stay out of it.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY app ./app
COPY connectors ./connectors
COPY mappings ./mappings
COPY migrations ./migrations
RUN python -m venv /opt/sinkron \
 && /opt/sinkron/bin/pip install --no-cache-dir --disable-pip-version-check \
        -c constraints.txt .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/sinkron --create-home sinkron
COPY --from=build /opt/sinkron /opt/sinkron
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/opt/sinkron/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    SINKRON_DATABASE_URL=sqlite:////var/lib/sinkron/sinkron.db
USER sinkron
WORKDIR /var/lib/sinkron
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
