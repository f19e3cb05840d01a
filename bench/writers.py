"""Several writers on one article at once: two clients of a page and a second process on the same home,
each uploading and removing the same article, once with the embedded Chroma and once with a Chroma server.

.venv/bin/python -m bench.writers    # also run by bench.reliability; writes bench/results/writers.json

With the embedded Chroma the page owns the home: the second process's writes must be refused with a clear
message (`rag.store.guard`). With a Chroma server all three write, one at a time. Either way, afterwards the
home must be consistent (`check` clean: the article's file, catalog row and units agree), every call must
have ended with an answer (an upload's summary, "Removed", "was not indexed", a refusal), and the page and
a fresh process must answer from the state the home ended in: after a last upload (from another process
where the Chroma server is shared), a question only the article answers cites it.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from gradio_client import handle_file

from bench.page_process import call, child_env, client_of, start_page
from rag.config import DEFAULT_CORPUS, PROJECT_ROOT, Config
from rag.engine import Engine
from rag.ingest.articles import new_article, write_article_file
from tests.conftest import chroma_server, free_port
from ui.ask_tab import GROUNDED

RESULTS = PROJECT_ROOT / "bench" / "results"
ROUNDS = 12  # uploads and removals per writer
QUESTION = "When will the night ferry between Harwick and Leith resume?"
ARTICLE = new_article(
    "The harbour master said on Tuesday that the night ferry between Harwick and Leith will resume on Monday, "
    "after six weeks of repairs to the Leith pier. A spokeswoman for the operator told reporters that two "
    "crossings a night are planned.",
    title="Night ferry to resume",
    outlet="Harwick Courier",
    date="2025-03-04",
)
# The second process: an engine of its own on the same home, uploading and removing the article.
OTHER_PROCESS = """
import json, random, sys, time
from rag.config import Config
from rag.engine import Engine
from rag.ingest.articles import load_article
from rag.store.guard import HomeServed
engine = Engine(Config.from_env())
article = load_article(sys.argv[1])
rng = random.Random(7)
outcomes = []
for _ in range({rounds}):
    for write in (lambda: engine.add(article)[1].summary(), lambda: str(engine.remove(article.id))):
        try:
            outcomes.append(write())
        except HomeServed as exc:
            outcomes.append("refused: " + str(exc)[:100])
        time.sleep(rng.uniform(0, 0.5))
print(json.dumps(outcomes))
"""

# What a process opened after the page stopped finds: an embedded Chroma must be opened after the writes.
FRESH_PROCESS = """
import json, sys
from rag.config import Config
from rag.engine import Engine
engine = Engine(Config.from_env())
report = engine.check()
print(json.dumps({
    "indexed_at_end": sys.argv[1] in engine.catalog.hashes(),
    "check_clean": report.clean,
    "check": report.lines()[:3],
    "fresh_process_answer_cites_it": any(c.article_id == sys.argv[1] for c in engine.ask(sys.argv[2]).citations),
}))
"""


def page_writer(port: int, upload: Path, seed: int, outcomes: list[str]) -> None:
    client, rng = client_of(port), random.Random(seed)
    for _ in range(ROUNDS):
        for args, api in (([handle_file(str(upload))], "", "", "", ""), "/add"), ((ARTICLE.id, True), "/remove"):
            try:
                outcomes.append(str(call(client, *args, api_name=api)[0]).splitlines()[0][:120])
            except Exception as exc:  # every failed call is counted
                outcomes.append(f"failed: {type(exc).__name__}: {str(exc)[:120]}")
            time.sleep(rng.uniform(0, 0.5))


def writers_trial(chroma_url: str | None) -> dict:
    root = Path(tempfile.mkdtemp(prefix="rag-writers-"))
    home, corpus, upload = root / "home", root / "corpus", root / "upload"
    corpus.mkdir()
    upload.mkdir()
    for path in DEFAULT_CORPUS.glob("*.md"):
        (corpus / path.name).write_bytes(path.read_bytes())
    upload_file = write_article_file(ARTICLE, upload)
    port = free_port()
    server = start_page(home, corpus, port, chroma_url=chroma_url)
    page_outcomes: list[list[str]] = [[], []]
    started = time.perf_counter()
    other = subprocess.Popen(
        [sys.executable, "-c", OTHER_PROCESS.format(rounds=ROUNDS), str(upload_file)],
        cwd=PROJECT_ROOT,
        env=child_env(home, corpus, chroma_url=chroma_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    threads = [threading.Thread(target=page_writer, args=(port, upload_file, i, page_outcomes[i])) for i in (0, 1)]
    for thread in threads:
        thread.start()
    out, err = other.communicate(timeout=1800)
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    # Every writer ends with a removal; one last upload, from outside the page where the Chroma is shared,
    # must be visible to the page's next answer.
    if chroma_url:
        Engine(Config(home=home, corpus_dir=corpus, chroma_url=chroma_url)).add(ARTICLE)
    else:
        call(client_of(port), [handle_file(str(upload_file))], "", "", "", "", api_name="/add")
    answer = json.dumps(call(client_of(port), QUESTION, [], 5, [], GROUNDED, api_name="/ask"))
    server.terminate()
    server.wait(timeout=60)
    fresh = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS, ARTICLE.id, QUESTION],
        cwd=PROJECT_ROOT,
        env=child_env(home, corpus, chroma_url=chroma_url),
        capture_output=True,
        text=True,
        timeout=600,
    )
    final = json.loads(fresh.stdout)
    process_outcomes = json.loads(out) if other.returncode == 0 else [f"failed: {err.strip().splitlines()[-1:]}"]
    result = {
        "chroma": "server" if chroma_url else "embedded",
        "calls": len(page_outcomes[0] + page_outcomes[1] + process_outcomes),
        "seconds": round(seconds, 1),
        "failed_calls": [o for o in page_outcomes[0] + page_outcomes[1] + process_outcomes if o.startswith("failed")],
        "second_process_refused": sum(o.startswith("refused") for o in process_outcomes),
        "outcomes": sorted(set(page_outcomes[0] + page_outcomes[1] + process_outcomes)),
        "file_at_end": (corpus / f"{ARTICLE.id}.md").exists(),
        "page_answer_cites_it": ARTICLE.title in answer,
        **final,
    }
    shutil.rmtree(root, ignore_errors=True)
    return result


def writers_trials() -> list[dict]:
    embedded = writers_trial(None)
    data = Path(tempfile.mkdtemp(prefix="rag-writers-chroma-"))
    port = free_port()
    server = chroma_server(data, port)
    try:
        served = writers_trial(f"http://127.0.0.1:{port}")
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(data, ignore_errors=True)
    return [embedded, served]


def main() -> None:
    figures = writers_trials()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "writers.json").write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
