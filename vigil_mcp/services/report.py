"""Write an evaluation's report.json, report.md and learning-curve PNG."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from vigil_mcp.services.evaluate import Run
from vigil_mcp.storage.files import atomic_write_text

SHOWN = 12  # samples in report.md


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2%}"


def write_json(runs: list[Run], path: Path) -> None:
    """Every figure, per run and per window."""
    data = {
        ("learn" if r.learn else "no_learn"): {
            "seconds": round(r.seconds, 2),
            "totals": r.totals().as_dict(),
            "windows": [w.as_dict() for w in r.windows],
            "samples": len(r.samples),
        }
        for r in runs
    }
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def write_markdown(runs: list[Run], path: Path, source: str) -> None:
    """A human-readable report: totals side by side, windows, samples beside the human answers."""
    lines = [
        f"# vigil evaluation: {source}",
        "",
        "| | " + " | ".join("learn" if r.learn else "no learn" for r in runs) + " |",
    ]
    lines.append("|---|" + "---|" * len(runs))
    totals = [r.totals() for r in runs]
    rows = [
        ("customer questions", [str(t.questions) for t in totals]),
        ("suggestions", [str(t.suggestions) for t in totals]),
        ("coverage", [_pct(t.coverage) for t in totals]),
        ("precision proxy (F1 ≥ 0.3)", [f"{_pct(t.precision)} of {t.judged}" for t in totals]),
        ("interventions on non-questions", [str(t.non_question_interventions) for t in totals]),
        (
            "suggestions on turns labelled not a request",
            [
                f"{t.labelled_non_request_interventions} of {t.labelled_non_requests} ({_pct(t.intervention_rate)})"
                for t in totals
            ],
        ),
        ("knowledge items at the end", [str(t.knowledge_items) for t in totals]),
        ("skills at the end", [str(t.skills) for t in totals]),
        ("seconds", [f"{r.seconds:.1f}" for r in runs]),
    ]
    lines += [f"| {name} | " + " | ".join(values) + " |" for name, values in rows]
    for r in runs:
        lines += ["", f"## Windows ({'learn' if r.learn else 'no learn'})", "",
                  "| dialogues | questions | suggestions | coverage | precision proxy | knowledge | skills |",
                  "|---|---|---|---|---|---|---|"]  # fmt: skip
        lines += [
            f"| {w.first}-{w.last} | {w.questions} | {w.suggestions} | {_pct(w.coverage)} | {_pct(w.precision)} | "
            f"{w.knowledge_items} | {w.skills} |"
            for w in r.windows
        ]
    learned = next((r for r in runs if r.learn), runs[0])
    lines += ["", "## Sample suggestions beside the human answer", "", "All of them: samples-*.jsonl.", ""]
    if not learned.samples:
        lines.append("vigil made no suggestion.")
    for s in learned.samples[:SHOWN]:
        lines += [
            f"**{s.dialogue_id}**: {_one_line(s.question)}",
            f"- vigil ({s.confidence:.2f}, cites {', '.join(s.citations) or 'nothing'}): {_one_line(s.suggestion)}",
            f"- human (F1 {s.f1:.2f}): {_one_line(s.human) or '(no later answer)'}",
            "",
        ]
    atomic_write_text(path, "\n".join(lines) + "\n")


def write_samples(runs: list[Run], folder: Path) -> list[Path]:
    """Every suggestion of each run, one JSON object per line, for reading and labelling."""
    paths: list[Path] = []
    for r in runs:
        path = folder / f"samples-{'learn' if r.learn else 'no-learn'}.jsonl"
        rows = [json.dumps(asdict(s) | {"citations": list(s.citations), "context": list(s.context)},
                           ensure_ascii=False) for s in r.samples]  # fmt: skip
        atomic_write_text(path, "".join(row + "\n" for row in rows))
        paths.append(path)
    return paths


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def write_plot(runs: list[Run], path: Path) -> None:
    """Coverage and precision per window, learn versus no learn, and knowledge learned."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)  # pyright: ignore[reportUnknownMemberType]
    for r in runs:
        label = "learn" if r.learn else "no learn"
        x = [w.last for w in r.windows]
        top.plot(x, [w.coverage * 100 for w in r.windows], marker="o", label=f"coverage, {label}")
        precision = [float("nan") if w.precision is None else w.precision * 100 for w in r.windows]
        top.plot(x, precision, marker="x", linestyle="--",
                 label=f"precision proxy, {label}")  # fmt: skip
        bottom.plot(x, [w.knowledge_items for w in r.windows], marker="o", label=f"knowledge items, {label}")
    top.set_ylabel("% per window")
    top.legend(fontsize=8)
    top.grid(alpha=0.3)
    bottom.set_ylabel("knowledge items")
    bottom.set_xlabel("dialogues replayed (time order)")
    bottom.legend(fontsize=8)
    bottom.grid(alpha=0.3)
    fig.suptitle("vigil learning curve")  # pyright: ignore[reportUnknownMemberType]
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=110)  # pyright: ignore[reportUnknownMemberType]
    plt.close(fig)
    tmp.replace(path)
