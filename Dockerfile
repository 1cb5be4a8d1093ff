# The bot, its NLU data and content; the model is trained at build time so containers start fast.
# Dependencies come from the lock file first (a layer cached until it changes), then the code.
# .ci/dockerfile_steps.py replays these steps in a clean venv (no Docker engine on CI).
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 TERRAPRO_DATA_DIR=/data
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock
COPY pyproject.toml README.md alembic.ini ./
COPY bot ./bot
COPY actions ./actions
COPY nlu_data ./nlu_data
COPY content ./content
RUN pip install --no-cache-dir --no-deps -e . \
 && TERRAPRO_NLU_CACHE_DIR=/app/nlu-cache python -m bot nlu parse "bonjour" > /dev/null
ENV TERRAPRO_NLU_CACHE_DIR=/app/nlu-cache
VOLUME /data
EXPOSE 8080
CMD ["terrapro", "serve", "--host", "0.0.0.0", "--port", "8080"]
