# The embedded defaults in a container: Chroma on disk (or a Chroma server), CPU models from PyPI.
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends make build-essential curl \
    && rm -rf /var/lib/apt/lists/*
# The app never runs as root: an unprivileged account owns /app (venv, models, data) and /data
# (the compose file's volume; a new named volume takes this folder's owner).
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin servicedesk \
    && mkdir -p /app /data && chown servicedesk:servicedesk /app /data
WORKDIR /app
USER servicedesk
COPY --chown=servicedesk:servicedesk . .
RUN make install
ENV SERVICEDESK_WEB_HOST=0.0.0.0 HF_HUB_OFFLINE=1
EXPOSE 8000
CMD ["make", "run"]
