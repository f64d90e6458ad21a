"""A bare Flask handler: the ceiling the web benchmark compares Summit's pages with."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "ok"
