# The application image for compose.yaml: web (granian), websockets (uvicorn), worker and beat.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd --create-home --uid 1000 dallinger && chown -R dallinger /app
USER dallinger
EXPOSE 8000
CMD ["granian", "--interface", "wsgi", "--host", "0.0.0.0", "--port", "8000", "--respawn-failed-workers", "--no-access-log", "dallinger_project.wsgi:application"]
