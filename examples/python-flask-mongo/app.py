"""A task list API backed by MongoDB.

GET /        lists the tasks as JSON
POST /       adds one: {"task": "buy milk"}
GET /about   says which app this is, with GREETING ("hello" unless set)
GET /health  says the app is up

cupaas sets PORT and MONGODB_URI; `cupaas env set GREETING=hi` changes the
greeting.
"""

import os
from urllib.parse import urlparse

from flask import Flask, jsonify, request
from pymongo import MongoClient

MONGODB_URI = os.environ.get("MONGODB_URI", "mongodb://localhost:27017/tasks")
# The database is the URI's path, as in mongodb://host:27017/tasks.
DATABASE = urlparse(MONGODB_URI).path.lstrip("/") or "tasks"

client = MongoClient(MONGODB_URI, serverSelectionTimeoutMS=5000)
tasks = client[DATABASE]["tasks"]

app = Flask(__name__)


@app.get("/")
def list_tasks():
    return jsonify([{"id": str(t["_id"]), "task": t["task"]} for t in tasks.find()])


@app.post("/")
def add_task():
    body = request.get_json(silent=True) or {}
    task = body.get("task")
    if not isinstance(task, str) or not task.strip():
        return jsonify({"error": 'send JSON like {"task": "buy milk"}'}), 400
    result = tasks.insert_one({"task": task.strip()})
    return jsonify({"id": str(result.inserted_id), "task": task.strip()}), 201


@app.get("/about")
def about():
    return jsonify({"app": "tasks", "greeting": os.environ.get("GREETING", "hello")})


@app.get("/health")
def health():
    return "ok"


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=int(os.environ.get("PORT", 5000)))
