FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 SUPPORTCENTER_DATA_DIR=/data
WORKDIR /app
COPY pyproject.toml ./
COPY . .
RUN pip install --no-cache-dir . && useradd --system --home /data supportcenter \
    && mkdir -p /data && chown supportcenter /data
USER supportcenter
EXPOSE 8000
CMD ["gunicorn", "--config", "python:supportcenter.gunicorn_config", "supportcenter.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
