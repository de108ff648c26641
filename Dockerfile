# federator gateway. Build: docker build -t federator .   Run: docker run -p 8000:8000 federator
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# libyaz5: YAZ's ZOOM library, loaded with ctypes by the Z39.50 connector.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libyaz5 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
COPY connectors ./connectors
COPY config ./config
RUN pip install --no-cache-dir .
ENV FEDERATOR_CONFIG=/app/config/federator.yaml
RUN useradd --system --home /app federator
USER federator
EXPOSE 8000
CMD ["federator", "serve", "--host", "0.0.0.0", "--port", "8000"]
