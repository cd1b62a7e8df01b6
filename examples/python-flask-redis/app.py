"""A visit counter backed by Redis.

GET /        counts the visit and returns {"visits": N, "greeting": ...}
GET /health  says the app is up

cupaas sets PORT and REDIS_URL; GREETING can be set under env: in .cupaas.yml.
"""

import os

import redis
from flask import Flask, jsonify

store = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://localhost:6379/0"))

app = Flask(__name__)


@app.get("/")
def visit():
    visits = store.incr("visits")
    return jsonify({"visits": visits, "greeting": os.environ.get("GREETING", "hello")})


@app.get("/health")
def health():
    return "ok"


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=int(os.environ.get("PORT", 8000)))
