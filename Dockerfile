FROM python:3.11-slim
WORKDIR /app
COPY requirements.lock pyproject.toml ./
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
RUN pip install --no-cache-dir --no-deps .
EXPOSE 8000
CMD ["ferry", "serve", "--host", "0.0.0.0", "--port", "8000"]
