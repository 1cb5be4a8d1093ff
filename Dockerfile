# The bot, its NLU data and content; the model is trained at build time so containers start fast.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 TERRAPRO_DATA_DIR=/data
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY actions ./actions
COPY nlu_data ./nlu_data
COPY content ./content
RUN pip install --no-cache-dir -e . \
 && TERRAPRO_NLU_CACHE_DIR=/app/nlu-cache python -m bot nlu parse "bonjour" > /dev/null
ENV TERRAPRO_NLU_CACHE_DIR=/app/nlu-cache
VOLUME /data
EXPOSE 8080
CMD ["terrapro", "serve", "--host", "0.0.0.0", "--port", "8080"]
