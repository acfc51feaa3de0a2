#!/usr/bin/env python3
"""Deterministic synthetic lessons for the benchmarks.

    python benchmarks/generate.py N OUT_DIR

writes N lessons in the interview-question format under OUT_DIR, ten lessons
per episode folder (``episode-3-data-storage/3.7-interview-questions.md``).
Each lesson has 11 questions (Q1-Q4 beginner, Q5-Q8 intermediate, Q9-Q11
advanced) with stamped ids and model answers of 150-350 words holding
paragraphs, a numbered or bulleted list, inline code and a fenced code block
in one of the lesson's three languages (the course's ten, yaml, bash, js,
python, json, dockerfile, sql, go, typescript and toml, rotate from lesson to
lesson), then a quick-fire table of 10 rows and a link back.
As real lessons do, about half the answers hold a link and inline HTML
(``<kbd>``, ``<mark>``, ``<sup>``, ``<abbr>``, ``<br>``), a third a table, and
two per lesson an image from the episode's ``images/`` folder (small PNG
files written beside the lessons); two quick-fire rows in seven hold HTML or
a link.

Lesson ``i`` depends only on ``i``: the same N always gives byte-identical
files, and the first 100 lessons of a 500-lesson set are the 100-lesson set.
"""
from __future__ import annotations

import argparse
import hashlib
import random
import re
import struct
import sys
import zlib
from pathlib import Path

LESSONS_PER_EPISODE = 10
LANGUAGES = ("yaml", "bash", "js", "python", "json", "dockerfile", "sql", "go", "typescript", "toml")
LANGUAGES_PER_LESSON = 3
LEVELS = (("Beginner", 1, 4), ("Intermediate", 5, 8), ("Advanced", 9, 11))
QUICK_FIRE_ROWS = 10
MIN_WORDS, MAX_WORDS = 150, 350
IMAGE_FOLDER = "images"
IMAGES_PER_EPISODE = 3

EPISODE_TITLES = (
    "Containers and Delivery", "Data Storage", "Backend APIs", "Observability", "Security Basics",
    "Cloud Networking", "Testing Strategy", "Frontend Performance", "Distributed Systems", "Developer Tooling",
)
CONCEPTS = (
    "connection pooling", "rolling deployments", "index selection", "cache invalidation", "rate limiting",
    "health checks", "schema migrations", "feature flags", "log aggregation", "secret management",
    "read replicas", "message queues", "idempotent handlers", "circuit breakers", "container images",
    "load balancing", "TLS termination", "retry budgets", "backpressure", "structured logging",
    "distributed tracing", "canary releases", "database sharding", "session storage", "job scheduling",
    "image scanning", "config management", "service discovery", "graceful shutdown", "request validation",
)
SYSTEMS = (
    "a checkout service", "a reporting pipeline", "a public REST API", "an internal admin tool",
    "a mobile backend", "a payments gateway", "a search service", "a notification worker",
)
METRICS = (
    "p99 latency", "error rate", "queue depth", "CPU saturation", "connection count", "cache hit ratio",
    "deploy duration", "memory growth", "replication lag", "retry volume",
)
CODE_TOKENS = {
    "yaml": ("readinessProbe", "restart: unless-stopped", "maxSurge: 1", "replicas: 3"),
    "bash": ("set -euo pipefail", "docker compose up -d", "kubectl rollout undo", "git revert HEAD"),
    "js": ("Promise.allSettled", "AbortController", "process.on('SIGTERM')", "res.setHeader"),
    "python": ("asyncio.wait_for", "functools.lru_cache", "contextlib.suppress", "logging.getLogger"),
    "json": ("\"replicas\": 3", "\"timeoutSeconds\": 5", "\"retries\": 2", "\"healthCheck\""),
    "dockerfile": ("HEALTHCHECK", "USER node", "COPY --from=build", "npm ci --omit=dev"),
    "sql": ("EXPLAIN ANALYZE", "SELECT ... FOR UPDATE", "CREATE INDEX CONCURRENTLY", "max_connections"),
    "go": ("context.WithTimeout", "http.Server.Shutdown", "sync.WaitGroup", "errors.Is"),
    "typescript": ("Promise<void>", "readonly config", "satisfies Config", "AbortSignal.timeout"),
    "toml": ("max_connections = 100", "[pool]", "timeout = \"5s\"", "retries = 3"),
}
NAMES = ("orders", "billing", "inventory", "profiles", "invoices", "sessions", "events", "payments",
         "catalog", "reports", "shipments", "accounts")

QUESTIONS = {
    "Beginner": (
        "What is {c} and why does it matter?",
        "How does {c} work in {s}?",
        "When would you reach for {c}?",
        "What problem does {c} solve, and what does it cost?",
        "How would you explain {c} to a new teammate?",
    ),
    "Intermediate": (
        "How would you introduce {c} into {s} without downtime?",
        "Walk me through debugging a failure in {c}.",
        "What are the trade-offs between {c} and {c2}?",
        "How do you test {c} in CI before it reaches production?",
        "Which signals tell you that {c} is misconfigured?",
    ),
    "Advanced": (
        "Design {c} for {s} handling {n} requests per second.",
        "A change to {c} caused an outage. How do you run the post-mortem?",
        "How would you migrate a fleet from {c2} to {c} safely?",
        "How do {c} and {c2} interact under heavy load, and where does it break?",
    ),
}
WHY = (
    "Tests whether you can explain {c} in plain words and tie it to a real failure.",
    "Separates candidates who have run {c} in production from those who only read about it.",
    "Checks that you weigh trade-offs instead of reciting a definition of {c}.",
    "Probes operational maturity: {c} is where small mistakes turn into incidents.",
)
SENTENCES = (
    "{C} keeps {s} predictable because every step can be repeated and checked.",
    "The usual mistake is to treat {c} as a one-off task instead of part of the pipeline.",
    "Start by measuring {m}, then change one setting at a time, for example `{t}`.",
    "In practice {c} only pays off when the team agrees on who owns it and how it is monitored.",
    "A good answer names the failure mode first and the tool second.",
    "If {m} climbs after a release, roll back before you start reading the logs.",
    "Keep the configuration in version control so that a review shows exactly what changed.",
    "Interviewers like hearing how you verified the change, not just how you made it.",
    "Compared with {c2}, {c} moves the complexity from the code into the platform.",
    "The setting `{t}` is a common starting point, but tune it with real traffic.",
    "Document the rollback path next to the rollout path, and rehearse both.",
    "For {s}, the cost of getting {c} wrong is usually measured in {m}.",
    "Small, frequent changes make {c} easier to reason about than one large migration.",
    "Automate the check so that nobody has to remember it during an incident.",
)
LINK_SENTENCES = (
    "The [runbook for {c}](https://runbooks.example.com/{slug}) lists the checks in order.",
    "See [the {c} guide](https://docs.example.com/guides/{slug}#pitfalls) for the pitfalls.",
    "Compare it with [{c2}](https://wiki.example.com/{slug}?view=compare) before deciding.",
)
HTML_SENTENCES = (
    "Press <kbd>Ctrl</kbd>+<kbd>C</kbd> once and {s} should drain in seconds, not minutes.",
    "The one number to remember is <mark>{m}</mark>, checked before and after.",
    "Budget about 10<sup>3</sup> requests per instance before {c} needs tuning.",
    "Write <abbr title=\"service level objective\">SLO</abbr> targets for {m} first.",
    "Say it in two lines:<br>what {c} protects,<br>and what it costs.",
)
LIST_ITEMS = (
    "Measure {m} before and after the change.",
    "Turn it on for one instance first, using `{t}`.",
    "Add an alert when {m} leaves its normal range.",
    "Write down who owns {c} and how it is rolled back.",
    "Run the same check in CI and in staging.",
    "Keep the defaults unless a load test proves otherwise.",
    "Review the change with someone who was on call last month.",
    "Record the decision and the numbers that justified it.",
    "Remove the old path once {m} stays stable for a week.",
    "Pin the setting explicitly (`{t}`) instead of relying on a default.",
    "Script the check with `{t}` so that it runs the same way every time.",
)
CODE_LIST_ITEMS = tuple(item for item in LIST_ITEMS if "`" in item)
QUICK_QUESTIONS = (
    ("What does {c} protect?", "Mostly {m}; it limits how far a bad change spreads"),
    ("First metric to watch for {c}?", "{M}, compared with the week before"),
    ("One-line rollback for {c}?", "`{t}` or redeploy the previous image"),
    ("Where does {c} config live?", "In version control, reviewed like code"),
    ("{C} vs {c2}?", "{C} handles the platform side; {c2} handles the application side"),
    ("Who owns {c}?", "The team that is paged when it breaks"),
    ("Test {c} how?", "In CI with a container, then in staging under load"),
    ("Biggest {c} pitfall?", "Turning it on everywhere at once"),
    ("Default worth changing in {c}?", "Timeouts: the defaults are usually too long"),
    ("{C} in one word?", "Predictability"),
    ("Signal that {c} is working?", "{M} stays flat during deploys"),
    ("Cost of {c}?", "Extra moving parts and one more thing to monitor"),
    ("Shortcut to stop {s}?", "<kbd>Ctrl</kbd>+<kbd>C</kbd>, then check {m}"),
    ("Where to read about {c}?", "[The runbook](https://runbooks.example.com/) -- section on {m}"),
)

SNIPPETS = {
    "yaml": (
        "services:\n  @NAME@:\n    image: registry.example.com/@NAME@:1.@SMALL@.0\n    restart: unless-stopped\n"
        "    healthcheck:\n      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost:@PORT@/health\"]\n"
        "      interval: 10s\n      retries: 3",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: @NAME@\nspec:\n  replicas: @SMALL@\n"
        "  strategy:\n    rollingUpdate:\n      maxSurge: 1\n      maxUnavailable: 0",
    ),
    "bash": (
        "set -euo pipefail\nIMAGE=\"registry.example.com/@NAME@:$(git rev-parse --short HEAD)\"\n"
        "docker build -t \"$IMAGE\" .\ndocker push \"$IMAGE\"\ncurl -fsS \"http://localhost:@PORT@/health\" || exit 1",
        "# roll back @NAME@ to the previous revision\nkubectl rollout undo deployment/@NAME@\n"
        "kubectl rollout status deployment/@NAME@ --timeout=@NUM@s\nkubectl get pods -l app=@NAME@",
    ),
    "js": (
        "async function load@CAMEL@(id) {\n  const key = `@NAME@:${id}`;\n  const cached = await cache.get(key);\n"
        "  if (cached) return JSON.parse(cached);\n"
        "  const row = await db.query('SELECT * FROM @NAME@ WHERE id = $1', [id]);\n"
        "  await cache.set(key, JSON.stringify(row), { EX: @NUM@ });\n  return row;\n}",
        "process.on('SIGTERM', async () => {\n  server.close();\n  await queue.drain();\n"
        "  console.log('@NAME@ stopped cleanly');\n  process.exit(0);\n});",
    ),
    "python": (
        "def retry_@NAME@(call, attempts=@SMALL@, base_delay=0.2):\n    for attempt in range(attempts):\n"
        "        try:\n            return call()\n        except TimeoutError:\n"
        "            time.sleep(base_delay * 2 ** attempt)\n    raise RuntimeError(\"@NAME@ failed after retries\")",
        "async def fetch_@NAME@(client, ids):\n    tasks = [client.get(f\"/@NAME@/{i}\") for i in ids]\n"
        "    results = await asyncio.gather(*tasks, return_exceptions=True)\n"
        "    return [r for r in results if not isinstance(r, Exception)]",
    ),
    "json": (
        "{\n  \"service\": \"@NAME@\",\n  \"replicas\": @SMALL@,\n"
        "  \"limits\": {\"cpu\": \"500m\", \"memory\": \"@NUM@Mi\"},\n"
        "  \"healthCheck\": {\"path\": \"/health\", \"intervalSeconds\": 10}\n}",
        "{\n  \"name\": \"@NAME@\",\n  \"retries\": @SMALL@,\n  \"timeoutSeconds\": 5,\n"
        "  \"circuitBreaker\": {\"failureThreshold\": @SMALL@, \"resetAfterSeconds\": @NUM@}\n}",
    ),
    "dockerfile": (
        "FROM node:20-alpine AS build\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci\nCOPY . .\nRUN npm run build\n\n"
        "FROM node:20-alpine\nUSER node\nCOPY --from=build /app/dist ./dist\nEXPOSE @PORT@\n"
        "CMD [\"node\", \"dist/@NAME@.js\"]",
        "FROM python:3.12-slim\nWORKDIR /srv\nCOPY requirements.txt .\n"
        "RUN pip install --no-cache-dir -r requirements.txt\n"
        "COPY . .\nHEALTHCHECK CMD curl -f http://localhost:@PORT@/health || exit 1\n"
        "CMD [\"gunicorn\", \"-w\", \"@SMALL@\", \"@NAME@.app:app\"]",
    ),
    "sql": (
        "CREATE INDEX CONCURRENTLY idx_@NAME@_created_at ON @NAME@ (created_at);\nEXPLAIN ANALYZE\n"
        "SELECT id, status FROM @NAME@\nWHERE created_at > now() - interval '@SMALL@ days'\n"
        "ORDER BY created_at DESC\nLIMIT @NUM@;",
        "BEGIN;\nSELECT balance FROM @NAME@ WHERE id = @NUM@ FOR UPDATE;\n"
        "UPDATE @NAME@ SET balance = balance - @SMALL@ WHERE id = @NUM@;\nCOMMIT;",
    ),
    "go": (
        "func (s *Server) Shutdown@CAMEL@(ctx context.Context) error {\n"
        "\tctx, cancel := context.WithTimeout(ctx, @SMALL@*time.Second)\n\tdefer cancel()\n"
        "\tif err := s.http.Shutdown(ctx); err != nil {\n\t\treturn fmt.Errorf(\"@NAME@: %w\", err)\n\t}\n"
        "\treturn nil\n}",
        "var wg sync.WaitGroup\nfor _, id := range ids {\n\twg.Add(1)\n\tgo func(id int) {\n"
        "\t\tdefer wg.Done()\n\t\t_ = load@CAMEL@(id)\n\t}(id)\n}\nwg.Wait() // at most @NUM@ ids",
    ),
    "typescript": (
        "interface @CAMEL@Config {\n  readonly url: string;\n  retries: number;\n}\n\n"
        "export async function ping@CAMEL@(config: @CAMEL@Config): Promise<boolean> {\n"
        "  const res = await fetch(`${config.url}:@PORT@/health`, { signal: AbortSignal.timeout(@NUM@) });\n"
        "  return res.ok;\n}",
        "const limits = {\n  @NAME@: { rps: @NUM@, burst: @SMALL@ },\n} satisfies Record<string, Limit>;\n\n"
        "export type Limit = { rps: number; burst: number };",
    ),
    "toml": (
        "[service]\nname = \"@NAME@\"\nport = @PORT@\n\n[pool]\nmax_connections = @NUM@\n"
        "timeout = \"@SMALL@s\"",
        "[retry]\nattempts = @SMALL@\nbackoff = \"exponential\"\n\n[alerts.@NAME@]\n"
        "threshold = @NUM@",
    ),
}


def lesson_languages(index: int) -> tuple[str, ...]:
    """The code languages of lesson ``index``: a lesson sticks to a few, as a real one does (a
    Docker lesson shows Dockerfiles, YAML and shell); any four lessons in a row show all ten."""
    return tuple(LANGUAGES[(LANGUAGES_PER_LESSON * index + k) % len(LANGUAGES)] for k in range(LANGUAGES_PER_LESSON))


def extras(index: int, number: int) -> frozenset[str]:
    """What question ``number`` of lesson ``index`` holds besides text, a list and code: every
    lesson has links and inline HTML in about half its answers, a table in a third, an image in two."""
    found = set()
    if number % 2 == index % 2:
        found.add("link")
    if number % 2 != index % 2 or number % 5 == 0:
        found.add("html")
    if number % 3 == index % 3:
        found.add("table")
    if number % 5 == index % 5:
        found.add("image")
    return frozenset(found)


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A valid one-colour PNG image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def episode_images(episode: int) -> dict[str, bytes]:
    """The figures every lesson of an episode may show, by path relative to the episode folder."""
    return {f"{IMAGE_FOLDER}/fig-{k}.png": png(16 + k, 8, ((episode * 37) % 256, (k * 85) % 256, 128))
            for k in range(1, IMAGES_PER_EPISODE + 1)}


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def lesson_place(index: int) -> tuple[int, int]:
    """(episode, lesson number) of the 0-based lesson ``index``."""
    return index // LESSONS_PER_EPISODE + 1, index % LESSONS_PER_EPISODE + 1


def lesson_path(index: int) -> Path:
    episode, number = lesson_place(index)
    title = EPISODE_TITLES[(episode - 1) % len(EPISODE_TITLES)]
    return Path(f"episode-{episode}-{slug(title)}") / f"{episode}.{number}-interview-questions.md"


def stable_id(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, ("bench", *parts))).encode()).hexdigest()[:16]


def word_count(markdown_text: str) -> int:
    return len(markdown_text.split())


class _Writer:
    """Text for one lesson, drawn from a generator seeded by the lesson index alone."""

    def __init__(self, index: int):
        self.index = index
        self.rng = random.Random(f"ankideploy-benchmark-lesson-{index}")
        self.asked: set[str] = set()
        self.concepts = self.rng.sample(CONCEPTS, 6)

    def slots(self, language: str | None = None) -> dict[str, str]:
        rng = self.rng
        c, c2 = rng.sample(self.concepts, 2)
        m = rng.choice(METRICS)
        return {"c": c, "C": c[0].upper() + c[1:], "c2": c2, "s": rng.choice(SYSTEMS), "m": m,
                "M": m[0].upper() + m[1:], "t": rng.choice(CODE_TOKENS[language or rng.choice(LANGUAGES)]),
                "n": f"{rng.randint(2, 90) * 1000:,}"}

    def sentence(self, language: str) -> str:
        return self.rng.choice(SENTENCES).format(**self.slots(language))

    def snippet(self, language: str) -> str:
        rng = self.rng
        name = rng.choice(NAMES)
        code = rng.choice(SNIPPETS[language])
        return (code.replace("@CAMEL@", name.capitalize()).replace("@NAME@", name)
                .replace("@PORT@", str(rng.choice((3000, 8000, 8080, 9090))))
                .replace("@SMALL@", str(rng.randint(2, 9))).replace("@NUM@", str(rng.randint(10, 600))))

    def answer(self, language: str, extras: frozenset[str] = frozenset()) -> str:
        rng = self.rng
        target = rng.randint(MIN_WORDS + 20, MAX_WORDS - 30)
        # The first item always shows inline code, so every answer has some.
        items = [rng.choice(CODE_LIST_ITEMS if i == 0 else LIST_ITEMS).format(**self.slots(language))
                 for i in range(rng.randint(3, 5))]
        numbered = rng.random() < 0.5
        listing = "\n".join(f"{i}. {item}" if numbered else f"- {item}" for i, item in enumerate(items, 1))
        code = f"```{language}\n{self.snippet(language)}\n```"
        opening = [self.sentence(language) for _ in range(2)]
        closing = [self.sentence(language)]
        if "link" in extras:
            opening.append(rng.choice(LINK_SENTENCES).format(**self.slots(language), slug=slug(self.concepts[0])))
        if "html" in extras:
            closing.insert(0, rng.choice(HTML_SENTENCES).format(**self.slots(language)))
        blocks = []
        if "table" in extras:
            blocks.append(self.table(language))
        if "image" in extras:
            figure = self.rng.randint(1, IMAGES_PER_EPISODE)
            blocks.append(f"![Diagram {figure}: {self.slots(language)['c']}]({IMAGE_FOLDER}/fig-{figure}.png)")
        middle: list[str] = []

        def text() -> str:
            parts = [" ".join(opening), "The steps, in order:", listing, code, *blocks]
            if middle:
                parts.append(" ".join(middle))
            parts.append(" ".join(closing))
            return "\n\n".join(parts)

        while word_count(text()) < target:
            rng.choice((opening, middle, closing)).append(self.sentence(language))
        return text()

    def table(self, language: str) -> str:
        """A small comparison table, as answers that weigh two options have."""
        slots = self.slots(language)
        rows = ["| Option | When it fits | Watch |", "|---|---|---|"]
        for concept in (slots["c"], slots["c2"]):
            rows.append(f"| {concept[0].upper() + concept[1:]} | {self.rng.choice(SYSTEMS)} |"
                        f" {self.rng.choice(METRICS)} |")
        return "\n".join(rows)

    def question(self, level: str, number: int, language: str) -> str:
        slots = self.slots(language)
        heading = self.rng.choice(QUESTIONS[level]).format(**slots)
        for _ in range(20):  # a lesson never asks the same question twice (the build warns if it does)
            if heading not in self.asked:
                break
            slots = self.slots(language)
            heading = self.rng.choice(QUESTIONS[level]).format(**slots)
        self.asked.add(heading)
        why = self.rng.choice(WHY).format(**slots)
        answer = self.answer(language, extras(self.index, number))
        return (f"### Q{number}. {heading}\n<!-- id: {stable_id(self.index, 'q', number)} -->\n\n"
                f"**Why interviewers ask:** {why}\n\n**Model answer:**\n\n{answer}\n\n---\n")

    def quick_fire(self) -> str:
        rows = ["| # | Question | One-line answer |", "|---|---|---|"]
        for number, (question, answer) in enumerate(self.rng.sample(QUICK_QUESTIONS, QUICK_FIRE_ROWS), 1):
            slots = self.slots()
            rows.append(f"| {number} | {question.format(**slots)} | {answer.format(**slots)}"
                        f" <!-- id: {stable_id(self.index, 'qf', number)} --> |")
        return "\n".join(rows) + "\n"


def lesson_text(index: int) -> str:
    episode, number = lesson_place(index)
    writer = _Writer(index)
    first, second = writer.concepts[:2]
    title = f"{first[0].upper() + first[1:]} and {second[0].upper() + second[1:]}"
    episode_title = EPISODE_TITLES[(episode - 1) % len(EPISODE_TITLES)]
    lesson_id = f"{episode}.{number}"
    parts = [
        f"Episode {episode} — {episode_title} / {lesson_id} — {title}\n",
        f"# Interview Questions: {title}\n",
        f"> Model answers on {first}, {second} and {writer.concepts[2]}, with code you can adapt.\n",
        "## How to use this material\n",
        f"1. Read the lesson first -- {lesson_id}.a to {lesson_id}.c.\n"
        "2. Practice out loud -- definition --> example --> pitfall.\n"
        f"3. Pair with the exercises -- {lesson_id}-Exercise-Questions.md.\n"
        f"4. Quick review -- {lesson_id}-Quick-Revision.md.\n",
    ]
    for level, low, high in LEVELS:
        parts.append(f"## {level} (Q{low}--Q{high})\n")
        for q in range(low, high + 1):
            parts.append(writer.question(level, q, lesson_languages(index)[(q - 1) % LANGUAGES_PER_LESSON]))
    parts.append("## Quick-fire\n")
    parts.append(writer.quick_fire())
    parts.append(f"[<-- Back to {lesson_id} -- {title}](README.md)\n")
    return "\n".join(parts)


def generate(count: int, out_dir: Path) -> list[Path]:
    """Write ``count`` lessons under ``out_dir``; returns their paths in lesson order."""
    written = []
    for index in range(count):
        target = out_dir / lesson_path(index)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(lesson_text(index).encode("utf-8"))
        written.append(target)
        if lesson_place(index)[1] == 1:
            for name, data in episode_images(lesson_place(index)[0]).items():
                (target.parent / name).parent.mkdir(exist_ok=True)
                (target.parent / name).write_bytes(data)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", type=int, help="how many lessons")
    parser.add_argument("out_dir", type=Path, help="folder to write them into")
    args = parser.parse_args(argv)
    files = generate(args.count, args.out_dir)
    print(f"wrote {len(files)} lessons under {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
