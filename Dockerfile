# Ferry's image: the API (`ferry serve`, the default command) and the workers (`ferry worker`).
FROM python:3.11-slim

# FERRY_DATA_DIR: embedded mode's SQLite file and generated key (distributed mode keeps nothing).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FERRY_DATA_DIR=/data

# The locked dependencies first: a code change does not reinstall them.
WORKDIR /src
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock

# Then Ferry itself, installed as a package (the migrations ship inside it), sources dropped.
COPY pyproject.toml ./
COPY app ./app
COPY workers ./workers
COPY adapters ./adapters
RUN pip install --no-cache-dir --no-deps . && rm -rf /src

# Never root: a user of its own that owns only the data directory.
RUN useradd --system --uid 10001 --user-group --home-dir /data --no-create-home ferry \
    && mkdir -p /data && chown ferry:ferry /data
USER ferry
WORKDIR /data
VOLUME ["/data"]

EXPOSE 8000
# Ready means the database and the queue answer (GET /readyz), not merely that the port is open.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status != 200)"]
CMD ["ferry", "serve", "--host", "0.0.0.0", "--port", "8000"]
