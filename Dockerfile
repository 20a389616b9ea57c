# Minimal image for the console bot and the ingest CLI (the operations issue will extend it).
FROM python:3.11-slim
WORKDIR /app
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
COPY pyproject.toml constraints.txt README.md ./
COPY bot ./bot
COPY knowledge ./knowledge
COPY ingest ./ingest
# CPU torch first, or pip pulls a multi-GB CUDA build.
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
 && pip install --no-cache-dir -c constraints.txt .
ENV SPBE_DOCUMENTS_DIR=/data/documents SPBE_STORE_DIR=/data/store
VOLUME ["/data"]
ENTRYPOINT ["spbe-bot"]
CMD ["chat"]
