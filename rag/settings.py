"""Every tuning constant of the product: its value, what it trades, and how it was chosen.

Code reads these as `settings.NAME` (so a test can change one with `monkeypatch.setattr(settings, ...)`).
Limits imposed by a library or a model (SQLite's bound variables, Chroma's largest write, the encoder's
256 tokens, the tagger's trained window) stay beside the code that obeys them; they are not choices.
"The QA set" below is `eval/qa-seed.jsonl`, written beside the code: values tuned on it are optimistic.
"""

# --- Ingest -------------------------------------------------------------------------------------------------

# A piece that continues the sentence before it (a quotation carried on, a fragment) joins that unit while the
# unit stays within this many characters: a unit is what a citation shows, and a long one cites far more than
# the claim. Pieces of fewer than MIN_UNIT_WORDS words join their neighbour, or are dropped when alone ("He
# said:"). Both set by hand with the first chunker.
MAX_UNIT_CHARS = 1200
MIN_UNIT_WORDS = 3
# Units embedded and written per batch: bigger batches amortise Chroma's write and the catalog transaction,
# smaller ones lose less to a crash and hold less memory. 1,024 made the pooled build 4x faster than one
# article at a time (`bench/scale.py`).
WRITE_BATCH_UNITS = 1024
# Articles per delete when sweeping old versions' units: each delete lists them in one filter.
SWEEP_BATCH = 1000
# Sentences encoded per ONNX run: padding to the longest sentence of a batch against per-run overhead. Not tuned.
EMBED_BATCH_SIZE = 64

# --- Retrieval ----------------------------------------------------------------------------------------------

# Candidates each retriever (dense, BM25) hands to fusion. More find rarer evidence and cost rerank time.
CANDIDATES_PER_RETRIEVER = 20
# BM25 hits, and fused candidates passed on to the reranker.
FUSED_CANDIDATES = 40
# Reranker score = cosine + NAME_WEIGHT x (question's names found) + TERM_WEIGHT x (its content words found).
# Chosen on the QA set: hit@1 0.84 dense, 0.90 fused, 0.94 reranked (the README's retrieval table).
NAME_WEIGHT = 0.1
TERM_WEIGHT = 0.2
# Of the candidates the lexical reranker ordered, how many the relevance model reads (~3 ms each on two
# cores): more find evidence ranked low by words, and cost latency.
RELEVANCE_CANDIDATES = 20
# The main BM25 index is rebuilt once articles added, changed or removed since it was built reach this share of
# it; until then they sit in a small second index fused with the main one. Lower rebuilds more often (a full
# build reads every unit: ~120 s at 1.2M units), higher keeps more stale units to filter.
REBUILD_SHARE = 0.1
# Units tokenised per BM25 build batch: memory against Python overhead.
TOKENIZE_BATCH = 5000
# One in this many BM25 scores is sampled to bound the top-k from below (`bm25.top_scores`): a query of common
# words matched 480,000 of 1.2M units, 22 ms -> 2 ms.
SAMPLE_STRIDE = 16
# A scope of at most this many units is searched exactly over its stored vectors (at 120k units: 8 ms for 200
# against 40 ms through Chroma's filtered HNSW search; even at 500).
EXACT_SCOPE_MOST = 400
# A scope of more units than this is not sent to Chroma as a list of ids (at 120k units 1,000 ids cost 16 ms,
# 50,000 cost 66 ms); dense retrieval asks for more candidates instead (~0.13 ms each), up to this many.
ID_SCOPE_MOST = 20_000
MOST_DENSE_CANDIDATES = 500
# Units read from Chroma per request when building BM25 (one unbounded get fails past ~30k units).
CHROMA_PAGE = 5000
# Up to this many catalog changes touching up to this many articles, a catalog map is updated from the change
# log instead of read again whole (200 ms at 100,000 articles).
INCREMENTAL_CHANGES = 100
INCREMENTAL_ARTICLES = 5_000

# --- Answering ----------------------------------------------------------------------------------------------

# Passages a question considers by default (the page's slider and `ask --top-k`).
DEFAULT_TOP_K = 5
# Longest question accepted: longer ones are refused with a message, not truncated.
MAX_QUESTION_CHARS = 2000
# The relevance model's probability, for the best piece of evidence of an actor comparison, below which it does
# not answer the question ("Which actors …?" that asks about no position). Chosen with the first relevance model
# on the seed, Lauca and Dunmere sets.
ANSWERS_AT = 0.02
# The answerability decision's probability (`rag/question/answerable.py`) at or above which the passages found
# answer the question. Chosen leave-one-story-out with the decision (`train/answer_decision.py`).
ANSWERED_AT = 0.4
# The answer ranker's probability at or above which a passage beside the best is cited too: lower cites more
# passages, so the answer is among them more often (the ranker's first passage holds it about six times in ten on
# the real stories). Chosen on the six stories with bench/ablation.py (0.3 / 0.1 / 0.03: 0.54 / 0.56 / 0.55).
CITED_AT = 0.02
# ... and at or above which it rates a passage as answering: such a passage offers its answer phrase ("“1,700
# structures” [2]"; a phrase of a passage the ranker doubts answers another question), and an outlet asked a
# question across outlets cites a second passage only when it is one.
ANSWERING_AT = 0.1
# Within one story, this share of a question across outlets' words must be in the passages ("Which outlets
# call the site Dunmore?"). Set on the Dunmere rows.
STORY_RECALL = 0.5
# Passages an answer cites at most: beside the best, those the relevance model rates as answering (other
# outlets' first). More citations show more outlets' values and bury the answer; set by hand.
MAX_CITED = 3
# A when / how-many / where question may cite one more sentence for each further outlet that answers it, up to
# this many in all, so that every outlet's value is shown ("3,000" in two, "5,000" in one, "has not said" in one).
VALUES_CITED = 6
# Of an outlet's passages ranked for a question about whom it credits, how many are searched for a news
# organisation it credits: a report often names its source a sentence or two away from the claim ("The data came
# from …, the Courier reported"). Set by hand; an article of the real stories holds about 12 sentences.
CREDIT_WINDOW = 5
# The best passages whose claims an outlet question considers.
CLAIMS_CONSIDERED = 3
# Rows and evidence sentences of an actor comparison in the chat (the Compare tab shows all).
MAX_ACTORS = 8
EVIDENCE_PER_ACTOR = 2
# A language model's sentence is supported when at least this share of its stemmed content words is in its
# cited passages; lower lets paraphrase through, higher replaces more sentences by excerpts.
SUPPORT_SHARE = 0.6
# Generation limits for the optional language model.
MAX_NEW_TOKENS = 256
CONTEXT_WINDOW = 4096

# --- Comparison ---------------------------------------------------------------------------------------------

# Two outlets' sentences carry the same claim at this bi-encoder cosine or more (story claims and article pairs).
ALIGN_COSINE = 0.7
# A story's claims. The claim-pair model (`rag/compare/claim_pairs.py`) scores every pair of sentences of two
# articles at least CLAIM_CANDIDATE_COSINE alike (stored embeddings); claims merge while their pairs average
# SAME_CLAIM_AT or more, with at most CLAIM_SENTENCES_PER_OUTLET sentences of one outlet. With the cross-encoder
# these replaced, set on the labelled pairs of ../shared/realnews (eval/outlets/; `python -m rag eval-outlets`):
# one sentence per outlet rather than two raised precision from 0.88 / 0.76 to 0.94 / 0.96 (SVB / measles) at the
# same recall and shrank the largest claim from 11 / 20 sentences to 5 / 11; the model's own probability threshold.
CLAIM_CANDIDATE_COSINE = 0.4
SAME_CLAIM_AT = 0.5
CLAIM_SENTENCES_PER_OUTLET = 1
# Articles are one story when their mean unit vectors are this close and their dates within STORY_DAYS.
STORY_COSINE = 0.6
STORY_DAYS = 7
# A negation this many words before a stance word reverses it ("does not support").
NEGATION_WINDOW = 3
# Evidence this close to a comparison topic (bi-encoder cosine) counts for it.
TOPIC_COSINE = 0.3

# --- Attribution --------------------------------------------------------------------------------------------

# The rules' fallback source (the words before a cue when the parse finds no subject) is kept only up to this
# many tokens and without a verb: a longer one is a clause, not a speaker. Set by hand.
MAX_FALLBACK_SOURCE_TOKENS = 20
# A content of fewer words than this is no statement, and the rules drop the attribution. Set by hand.
MIN_CONTENT_WORDS = 2
# Longest actor name matched in a text, in words. Set by hand.
MAX_NAME_WORDS = 8

# --- Page ---------------------------------------------------------------------------------------------------

# Article pickers, the corpus table and stories cover the newest articles only: a page listing 100,000
# articles in five pickers, and grouping all of them into stories, never loads.
PAGE_ARTICLES = 300
# Example questions come from the speakers of the newest articles.
EXAMPLE_ARTICLES = 20
# Questions answered at once. With 20 users asking during an ingest on two cores (bench/reliability.py), four
# at once gave p95 4.6 s and 5.2 questions/s; one at a time, p95 9.3 s and 3.5 questions/s.
QUESTION_WORKERS = 4
# Words of a passage shown in a citation's label.
LABEL_WORDS = 8

# --- Evaluation ---------------------------------------------------------------------------------------------

# Depth at which retrieval stages are scored (hit@k, MRR) in `rag eval`.
RETRIEVAL_DEPTH = 10
# Passages the plain baseline cites.
BASELINE_TOP_K = 2
# In the citation-quality score (ALCE-style, lexical), an answer line is supported by its citations when this
# share of its content words (framing words left out) is in them.
CITATION_TERM_RECALL = 0.8
