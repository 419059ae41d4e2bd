# scamguard: the Telegram bot. Configured only by SCAMGUARD_* environment variables.
# Health check: /livez (the process is alive; /readyz tells whether it can work).
# Volume: /data (the SQLite database, and the domain lists refreshed daily in /data/lists, which
# replace the bundled files of the same name). The bundled rules are part of the installed
# package (not a volume), so a new image brings new rules and blocklists. To run your own rules, mount
# a folder at /rules and set SCAMGUARD_RULES=/rules.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/scamguard
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY rules ./rules
RUN /opt/scamguard/bin/pip install --no-cache-dir . \
    && /opt/scamguard/bin/scamguard rules lint rules/

FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 scamguard \
    && useradd --system --uid 10001 --gid scamguard --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin scamguard \
    && mkdir -p /data \
    && chown scamguard:scamguard /data
COPY --from=build /opt/scamguard /opt/scamguard
ENV PATH=/opt/scamguard/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PTB_TIMEDELTA=1 \
    SCAMGUARD_DB=/data/scamguard.db \
    SCAMGUARD_DATA_DIR=/data \
    SCAMGUARD_HTTP=127.0.0.1:8080
VOLUME ["/data"]
USER 10001:10001
WORKDIR /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os,sys,urllib.request; h=os.environ.get('SCAMGUARD_HTTP','127.0.0.1:8080').rpartition(':'); host=h[0].strip('[]'); host='127.0.0.1' if host in ('','0.0.0.0','::') else host; urllib.request.urlopen(f'http://{host}:{h[2]}/livez', timeout=4); sys.exit(0)"]
ENTRYPOINT ["scamguard"]
CMD ["run"]
