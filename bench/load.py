"""Load benchmark of POST /api/ask: N concurrent clients for D seconds against a local `pacte serve`, with 1 and
with several worker processes in the same run.

    .venv/bin/python bench/load.py [--workers 1 2] [--clients 50] [--duration 30] [--single 60] [--json]

For each worker count, starts its own server (`pacte serve --workers W`) on 127.0.0.1 and a free port, waits
until every worker has loaded the assistant, then:
  1. single client: `--single` sequential requests (after a warm-up) -> p50 / p95, the reference;
  2. load: `--clients` asyncio clients (httpx), each sending its next question as soon as the previous
     answer arrives, for `--duration` seconds -> requests/s, p50 / p95 / p99 / max, error count.
The server uses the environment's index (PACTE_INDEX_DIR, PACTE_CHROMA_URL for server mode).
Questions rotate over the real dev questions (eval/datasets/dev_questions.jsonl), or a built-in set.
Bounded on purpose: loopback only, at most 200 clients and 300 s; the server is stopped at the end.
An error is any response other than 200 or a transport failure (including a client-side timeout).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # never anything else: this tool loads a server, it must be ours
MAX_CLIENTS = 200
MAX_DURATION_S = 300.0

FALLBACK_QUESTIONS = [
    "Une métropole peut-elle financer l'aide à l'achat d'un véhicule propre en ZFE avec le pacte ?",
    "Quelle part du coût d'une action la collectivité doit-elle financer ?",
    "Quels sont les indicateurs nationaux de l'axe transition écologique solidaire ?",
    "Les crédits du FSE+ peuvent-ils cofinancer une action reconduite ?",
    "Le SLIME+ peut-il être financé par le pacte au-delà de 70 % ?",
    "Quel est le calendrier de signature des contrats locaux des solidarités ?",
    "Une métropole peut-elle financer les entretiens prénataux de la PMI ?",
    "Quel est le montant du RSA pour une personne seule ?",
]


def load_questions(limit: int = 40) -> list[str]:
    path = ROOT / "eval" / "datasets" / "dev_questions.jsonl"
    try:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        questions = [r["question"] for r in rows if isinstance(r.get("question"), str) and r["question"].strip()]
    except (OSError, ValueError, KeyError):
        questions = []
    return questions[:limit] or FALLBACK_QUESTIONS


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_server(port: int, log_path: Path, workers: int) -> subprocess.Popen:
    env = dict(os.environ)
    env.setdefault("ANONYMIZED_TELEMETRY", "False")
    env["PACTE_HOST"] = HOST
    cmd = [
        sys.executable, "-m", "assistant.cli", "serve", "--workers", str(workers),
        "--host", HOST, "--port", str(port), "--log-level", "warning",
    ]
    log = open(log_path, "wb")
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_ready(base: str, headers: dict, proc: subprocess.Popen, workers: int = 1, timeout_s: float = 180.0) -> dict:
    """The health of a worker once `workers` distinct workers have answered with the assistant loaded."""
    deadline = time.monotonic() + timeout_s
    last = None
    ready: set = set()
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with code {proc.returncode} before being ready")
        try:
            r = httpx.get(base + "/api/health", headers=headers, timeout=5)
            last = r.json()
            if r.status_code == 200 and last.get("assistant_loaded"):
                ready.add((last.get("worker") or {}).get("pid"))
                if len(ready) >= workers:
                    return last
                continue
            if r.status_code == 200 and last.get("status") == "degraded" and last.get("index", {}).get("ok") is False:
                raise SystemExit("index unavailable: " + str(last["index"].get("message")))
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"server not ready after {timeout_s:.0f} s (last health: {last})")


def summarize(latencies_ms: list[float], errors: Counter, elapsed_s: float) -> dict:
    ok = len(latencies_ms)
    return {
        "requests": ok + sum(errors.values()),
        "ok": ok,
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "elapsed_s": round(elapsed_s, 2),
        "rps": round((ok + sum(errors.values())) / elapsed_s, 2) if elapsed_s else 0.0,
        "p50_ms": round(statistics.median(latencies_ms), 1) if ok else None,
        "p95_ms": round(percentile(latencies_ms, 0.95), 1) if ok else None,
        "p99_ms": round(percentile(latencies_ms, 0.99), 1) if ok else None,
        "max_ms": round(max(latencies_ms), 1) if ok else None,
    }


async def single_client(base: str, headers: dict, questions: list[str], n: int, timeout_s: float) -> dict:
    latencies: list[float] = []
    errors: Counter = Counter()
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=timeout_s) as client:
        for q in questions[: min(len(questions), 5)]:  # warm-up, not measured
            await client.post("/api/ask", json={"question": q})
        started = time.perf_counter()
        for i in range(n):
            await _one(client, questions[i % len(questions)], latencies, errors)
        elapsed = time.perf_counter() - started
    return summarize(latencies, errors, elapsed)


async def _one(client: httpx.AsyncClient, question: str, latencies: list[float], errors: Counter) -> None:
    t0 = time.perf_counter()
    try:
        r = await client.post("/api/ask", json={"question": question})
    except httpx.HTTPError as exc:
        errors[type(exc).__name__] += 1
        return
    if r.status_code == 200:
        latencies.append((time.perf_counter() - t0) * 1000)
    else:
        errors[f"HTTP {r.status_code}"] += 1


async def load(base: str, headers: dict, questions: list[str], clients: int, duration_s: float, timeout_s: float) -> dict:
    latencies: list[float] = []
    errors: Counter = Counter()
    counter = iter(range(10**9))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=timeout_s, limits=limits) as client:
        deadline = time.perf_counter() + duration_s

        async def worker():
            while time.perf_counter() < deadline:
                await _one(client, questions[next(counter) % len(questions)], latencies, errors)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return summarize(latencies, errors, elapsed)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (max %d)" % MAX_CLIENTS)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load (max %d)" % MAX_DURATION_S)
    parser.add_argument("--single", type=int, default=60, help="sequential requests for the single-client reference")
    parser.add_argument("--timeout", type=float, default=60.0, help="client-side timeout per request, seconds")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                        help="worker counts to measure, one server each (default: 1 2)")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")
    args = parser.parse_args(argv)
    if any(not 1 <= w <= 16 for w in args.workers):
        parser.error("--workers must be between 1 and 16")
    if not 1 <= args.clients <= MAX_CLIENTS:
        parser.error(f"--clients must be between 1 and {MAX_CLIENTS}")
    if not 0 < args.duration <= MAX_DURATION_S:
        parser.error(f"--duration must be in (0, {MAX_DURATION_S:.0f}]")
    if not 1 <= args.single <= 1000:
        parser.error("--single must be between 1 and 1000")

    questions = load_questions()
    headers = {"X-API-Key": os.environ["PACTE_API_KEY"]} if os.environ.get("PACTE_API_KEY") else {}
    runs = [measure(w, args, questions, headers) for w in args.workers]
    reference = runs[0]["load"]["rps"] or 1.0
    for r in runs:
        r["load"]["throughput_vs_first"] = round(r["load"]["rps"] / reference, 2)
    result = {"questions": len(questions), "cpu_count": os.cpu_count(), "runs": runs}
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        first = runs[0]
        print(f"POST /api/ask ({len(questions)} rotating questions, embedder {first['embedder']}, {os.cpu_count()} CPUs)")
        print(f"{'':28}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}{'x rps':>7}{'cores':>7}")
        for run in runs:
            w = run["workers"]
            rows = (
                (f"{w} worker(s), 1 client", run["single_client"], "", ""),
                (f"{w} worker(s), {args.clients} clients", run["load"], f"{run['load']['throughput_vs_first']:.2f}",
                 f"{run['load']['server_cores']:.2f}"),
            )
            for label, r, ratio, cores in rows:
                print(
                    f"{label:28}{r['requests']:>9}{r['rps']:>9}{_ms(r['p50_ms']):>9}{_ms(r['p95_ms']):>9}"
                    f"{_ms(r['p99_ms']):>9}{_ms(r['max_ms']):>9}{r['errors']:>8}{ratio:>7}{cores:>7}"
                )
            if run["load"]["error_kinds"] or run["single_client"]["error_kinds"]:
                print("errors:", {**run["single_client"]["error_kinds"], **run["load"]["error_kinds"]})
        print("server logs:", ", ".join(run["log"] for run in runs))
    return 0 if all(r["load"]["errors"] == 0 and r["single_client"]["errors"] == 0 for r in runs) else 1


def measure(workers: int, args, questions: list[str], headers: dict) -> dict:
    port = free_port()
    base = f"http://{HOST}:{port}"
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"pacte-load-{port}.log"
    proc = start_server(port, log_path, workers)
    try:
        health = wait_ready(base, headers, proc, workers)
        single = asyncio.run(single_client(base, headers, questions, args.single, args.timeout))
        cpu_before, wall_before = server_cpu_s(proc.pid), time.monotonic()
        loaded = asyncio.run(load(base, headers, questions, args.clients, args.duration, args.timeout))
        # Cores the server's processes used during the load (the machine may be shared: fewer than workers).
        loaded["server_cores"] = round((server_cpu_s(proc.pid) - cpu_before) / (time.monotonic() - wall_before), 2)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return {
        "workers": workers,
        "server": base,
        "embedder": health.get("embedder"),
        "log": str(log_path),
        "single_client": single,
        "load": {"clients": args.clients, "duration_s": args.duration, **loaded},
    }


def server_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of a process and its descendants, from /proc (0 where unavailable)."""
    total, todo, seen = 0.0, [pid], set()
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{p}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError, IndexError):
            continue
    return total


def _ms(v) -> str:
    return "-" if v is None else f"{v:.0f}"


if __name__ == "__main__":
    sys.exit(main())
