"""A scripted OpenAI-compatible chat server on localhost: the tests' stand-in for a language model.

`reply(messages) -> str` decides what the "model" writes; streamed requests get it in small chunks,
as real servers send them. The last request's messages are kept so tests can read the prompt.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Reply = Callable[[list[dict]], str]
# Two sentences about the seed article's passage on the senior Western military official: one that passes
# every check, one that credits its quote to a speaker the article never names.
SEED_QUESTION = "What did the senior Western military official admit?"
GOOD_SENTENCE = (
    "An unnamed senior Western military official admitted, according to The Times, that if Russia does not buy "
    "the idea “it is dead” [1]."
)
MISATTRIBUTED = "A NATO official said “the idea is dead” [1]."
CHUNK_CHARS = 7


class ScriptedLLM:
    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.requests: list[list[dict]] = []


def _handler(script: ScriptedLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            script.requests.append(body["messages"])
            text = script.reply(body["messages"])
            base = {"id": "scripted", "created": int(time.time()), "model": body.get("model", "scripted")}
            if not body.get("stream"):
                payload = {
                    **base,
                    "object": "chat.completion",
                    "choices": [
                        {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            pieces = [text[i : i + CHUNK_CHARS] for i in range(0, len(text), CHUNK_CHARS)]
            for i, piece in enumerate(pieces):
                delta = {"role": "assistant", "content": piece} if i == 0 else {"content": piece}
                chunk = {**base, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            end = {
                **base,
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            }
            self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())

    return Handler


@contextmanager
def scripted_llm(reply: Reply) -> Iterator[tuple[str, ScriptedLLM]]:
    """(base URL ending in /v1, the script) of a server running for the block."""
    script = ScriptedLLM(reply)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(script))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", script
    finally:
        server.shutdown()
        server.server_close()
