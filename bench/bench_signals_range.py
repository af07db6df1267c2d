"""The signal detector's working range: camera elevation x person height (``make bench``).

Runs the synthetic-skeleton evaluation (``signals_eval.py``) and the rendered-figure
evaluation through the real pose models (``signals_eval_rendered.py``), both in their
quick mode by default (bounded: about 30-40 min on 2 cores; ``--full`` runs the full
evaluations, several hours), then prints

- the working-range table: rows camera elevation, columns person height, each cell the
  SURRENDER_SIGNAL recall of the best model (Full or Heavy) and tile sweep setting on the
  rendered figure, with the synthetic world-geometry recall beside it;
- false SURRENDER alerts per minute on the look-alikes;
- each issue-16 target, met or not, with the figure (frames per second are read from
  ``bench/out/bench_signals.json``, written by ``bench_signals.py`` just before this one).

It writes the plot ``docs/signals_working_range.png`` (recall against elevation per person
height, Full against Heavy) and the markdown table ``bench/out/signals_working_range.md``.
Every figure is synthetic (a rendered cartoon figure, a stick skeleton), never footage.

Run: ``.venv/bin/python bench/bench_signals_range.py [--full] [--from-json]``
(``--from-json`` rebuilds the tables and the plot from the last runs' JSON).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import signals_eval as syn_eval  # noqa: E402
import signals_eval_rendered as ren_eval  # noqa: E402

OUT = HERE / "out"
PLOT = HERE.parent / "docs" / "signals_working_range.png"
#: Issue 16's recall targets: (elevations, heights at least, recall at least).
RECALL_TARGETS = (
    ((45,), 120, 0.9, "surrender recall >= 0.9 at 45 deg, >= 120 px"),
    ((60,), 120, 0.8, "surrender recall >= 0.8 at 60 deg, >= 120 px"),
    ((0, 15, 30), 60, 0.8, "surrender recall >= 0.8 at 0-30 deg, 60 px"),
)
FALSE_TARGET = 0.05  # false SURRENDER alerts per minute of look-alikes, at most


def best_cells(rendered: list[dict[str, Any]]) -> dict[tuple[float, float], dict[str, Any]]:
    """Per (elevation, px): the best model/sweep's surrender recall, and every one's."""
    tab = ren_eval.recall_table(rendered, "surrender")
    out: dict[tuple[float, float], dict[str, Any]] = {}
    for (m, sweep, e, p), (hits, n, found) in tab.items():
        cell = out.setdefault((e, p), {"best": None, "all": {}})
        key = f"{m}{'' if sweep else ' no sweep'}"
        cell["all"][key] = (hits, n, found / n)
        if cell["best"] is None or hits / n > cell["best"][1] / cell["best"][2]:
            cell["best"] = (key, hits, n)
    return out


def synthetic_recall(results: list[dict[str, Any]], geometry: str) -> dict[tuple, float]:
    """``{(elevation, px): surrender recall}`` of one synthetic geometry."""
    return {
        (r["elevation"], r["px"]): r["recall"]["surrender"]
        for r in results
        if r["geometry"] == geometry
    }


def table_markdown(syn: dict[str, Any], ren: dict[str, Any]) -> str:
    """The working-range table as markdown."""
    cells = best_cells(ren["results"])
    world = synthetic_recall(syn["results"], "world")
    image = synthetic_recall(syn["results"], "image")
    elevations = sorted({e for e, _ in cells} | {e for e, _ in world})
    heights = sorted({p for _, p in cells} | {p for _, p in world})
    lines = [
        "| elevation | " + " | ".join(f"{p:.0f} px" for p in heights) + " |",
        "|---|" + "---|" * len(heights),
    ]
    for e in elevations:
        row = []
        for p in heights:
            c = cells.get((e, p))
            rend = []
            for key, (hits, n, _) in sorted((c or {"all": {}})["all"].items()):
                label = key[0].upper() + (" no sweep" if "no sweep" in key else "")
                rend.append(f"{label} {hits}/{n}")
            s = world.get((e, p))
            i = image.get((e, p))
            synth = f"{s:.2f}" if s is not None else "-"
            synth += f" ({i:.2f})" if i is not None else ""
            row.append(f"{', '.join(rend) or '-'} · {synth}")
        lines.append(f"| {e:.0f}° | " + " | ".join(row) + " |")
    return "\n".join(lines)


def false_lines(syn: dict[str, Any], ren: dict[str, Any]) -> list[str]:
    """False SURRENDER alerts per look-alike minute: rendered per model, synthetic per geometry."""
    out = []
    for m, v in ren_eval.false_rates(ren["results"]).items():
        out.append(f"rendered {m}: {v['surrender']:.0f} false SURRENDER in {v['minutes']:.1f} min "
                   f"= {v['surrender'] / v['minutes']:.3f}/min (any alert "
                   f"{v['any'] / v['minutes']:.3f}/min)")  # fmt: skip
    for geo in dict.fromkeys(r["geometry"] for r in syn["results"]):
        rs = [r for r in syn["results"] if r["geometry"] == geo]
        n = sum(r["false"].get("SURRENDER_SIGNAL", 0) for r in rs)
        mins = sum(r["lookalike_min"] for r in rs)
        anyf = sum(v for r in rs for k, v in r["false"].items() if ":" not in k)
        out.append(f"synthetic {geo}: {n} false SURRENDER in {mins} min = {n / mins:.3f}/min "
                   f"(any alert {anyf / mins:.3f}/min)")  # fmt: skip
    return out


def targets(syn: dict[str, Any], ren: dict[str, Any]) -> list[str]:
    """Each issue-16 target: met or not, with the figure."""
    out = []
    tab = ren_eval.recall_table(ren["results"], "surrender")
    models = ren["models"]
    for elevations, min_px, goal, text in RECALL_TARGETS:
        parts = []
        for m in models:
            hits = n = 0
            for (mm, sweep, e, p), (h, k, _) in tab.items():
                if (
                    mm == m
                    and sweep
                    and e in elevations
                    and p >= min_px
                    and (min_px != 60 or p == 60)
                ):
                    hits, n = hits + h, n + k
            if n:
                parts.append(f"rendered {m} {hits}/{n} = {hits / n:.2f} "
                             f"({'met' if hits / n >= goal else 'MISSED'})")  # fmt: skip
        for geo in ("world", "image", "scene"):
            rs = [r["recall"]["surrender"] for r in syn["results"] if r["geometry"] == geo
                  and r["elevation"] in elevations and r["px"] >= min_px
                  and (min_px != 60 or r["px"] == 60)]  # fmt: skip
            if rs:
                v = sum(rs) / len(rs)
                parts.append(f"synthetic {geo} {v:.2f} ({'met' if v >= goal else 'MISSED'})")
        out.append(f"{text}: " + ("; ".join(parts) or "not measured"))
    for m, v in ren_eval.false_rates(ren["results"]).items():
        rate = v["surrender"] / v["minutes"]
        bound = 3 / v["minutes"]
        verdict = "met" if rate <= FALSE_TARGET and bound <= FALSE_TARGET else (
            "not shown: too few minutes to bound the rate" if rate <= FALSE_TARGET else "MISSED"
        )  # fmt: skip
        out.append(
            f"false SURRENDER <= {FALSE_TARGET}/min, rendered {m}: {rate:.3f}/min over "
            f"{v['minutes']:.1f} min (95% bound about {bound:.2f}/min): {verdict}"
        )
    for geo in dict.fromkeys(r["geometry"] for r in syn["results"]):
        rs = [r for r in syn["results"] if r["geometry"] == geo]
        n = sum(r["false"].get("SURRENDER_SIGNAL", 0) for r in rs)
        mins = sum(r["lookalike_min"] for r in rs)
        rate = n / mins
        verdict = "met" if rate <= FALSE_TARGET and 3 / mins <= FALSE_TARGET else (
            "MISSED" if rate > FALSE_TARGET else "not shown: too few minutes"
        )  # fmt: skip
        out.append(
            f"false SURRENDER <= {FALSE_TARGET}/min, synthetic {geo}: {rate:.3f}/min "
            f"over {mins} min: {verdict}"
        )
    fps_file = OUT / "bench_signals.json"
    if fps_file.exists():
        for row in json.loads(fps_file.read_text())["rows"]:
            out.append(
                f">= {row['target_fps']:.0f} fps {row['model']} at 640x480"
                f"{', ' + row['scene'] if 'scene' in row else ''}: "
                f"{row['sweep_on_fps']} fps with the sweep, {row['sweep_off_fps']} without "
                f"(model alone {row['peer_fps']}): {'met' if row['met'] else 'MISSED'}"
            )
    else:
        out.append("frames per second: run bench/bench_signals.py (not measured here)")
    return out


def plot(syn: dict[str, Any], ren: dict[str, Any], path: Path) -> None:
    """Recall against elevation per person height, Full against Heavy (and synthetic)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tab = ren_eval.recall_table(ren["results"], "surrender")
    world = synthetic_recall(syn["results"], "world")
    heights = sorted({k[3] for k in tab} | {p for _, p in world})
    fig, grid = plt.subplots(
        1, len(heights), figsize=(2.6 * len(heights), 2.8), sharey=True, squeeze=False
    )
    axes = grid[0]
    for ax, p in zip(axes, heights, strict=True):
        for m, style in (("full", "o-"), ("heavy", "s-")):
            pts = sorted((e, h / n) for (mm, sw, e, pp), (h, n, _) in tab.items()
                         if mm == m and sw and pp == p)  # fmt: skip
            if pts:
                ax.plot(*zip(*pts, strict=True), style, label=f"{m.capitalize()} (rendered)", ms=4)
        pts = sorted((e, r) for (e, pp), r in world.items() if pp == p)
        if pts:
            ax.plot(*zip(*pts, strict=True), ":", color="grey", label="world rules (skeleton)")
        ax.set_title(f"person {p:.0f} px", fontsize=9)
        ax.set_xlabel("camera elevation (deg)", fontsize=8)
        ax.set_xticks([0, 15, 30, 45, 60, 75])
        ax.set_ylim(-0.05, 1.05)
        ax.axhline(0.9, color="lightgrey", lw=0.8)
        ax.tick_params(labelsize=7)
    axes[0].set_ylabel("surrender recall", fontsize=8)
    axes[0].legend(fontsize=6, loc="lower left")
    n = sorted({v[1] for v in tab.values()})
    fig.suptitle(
        "Surrender-signal recall, SYNTHETIC figures (not footage); rendered: "
        f"{n[0]}-{n[-1]} sequences per point, sweep on",
        fontsize=9,
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--full", action="store_true", help="the full evaluations (hours)")
    ap.add_argument("--from-json", action="store_true", help="reuse the last runs' results")
    ap.add_argument("--workers", type=int, default=2)
    args, _ = ap.parse_known_args()
    t0 = time.perf_counter()
    syn_file, ren_file = OUT / "signals_eval.json", OUT / "signals_eval_rendered.json"
    if args.from_json:
        syn, ren = json.loads(syn_file.read_text()), json.loads(ren_file.read_text())
        # Further sequences run apart (signals_eval_rendered.py --seed-offset N --out
        # bench/out/signals_eval_rendered_more*.json) count with the rest.
        for more in sorted(OUT.glob("signals_eval_rendered_more*.json")):
            extra = json.loads(more.read_text())
            ren["results"] += extra["results"]
            ren["seconds"] += extra["seconds"]
            print(f"with {len(extra['results'])} further rendered sequences from {more.name}")
    else:
        n_signal, lookalike_s = (60, 600) if args.full else (10, 60)
        print(f"synthetic evaluation ({'full' if args.full else 'quick'})", flush=True)
        syn = syn_eval.run(n_signal=n_signal, lookalike_s=lookalike_s, workers=args.workers)
        OUT.mkdir(parents=True, exist_ok=True)
        syn_file.write_text(json.dumps(syn, indent=1) + "\n")
        print(f"rendered evaluation ({'full' if args.full else 'quick'})", flush=True)
        from safeconduct.bootstrap import signals_ports

        models = tuple(m for m in ren_eval.MODELS if m in signals_ports().poses.available())
        plan = ren_eval.full_plan() if args.full else ren_eval.quick_plan()
        ren = ren_eval.run(plan, models, args.workers)
        ren_file.write_text(json.dumps(ren, indent=1) + "\n")
    syn_eval.report(syn)
    print()
    ren_eval.report(ren)
    md = table_markdown(syn, ren)
    print(
        "\nWORKING RANGE: SURRENDER_SIGNAL recall. Each cell: rendered figure through the real"
        "\nmodels, Full (F) and Heavy (H) with the tile sweep (or without), hits/sequences ·"
        "\nsynthetic skeleton with world rules (image rules in brackets). SYNTHETIC, not footage."
    )
    print(md)
    print("\nfalse alerts on look-alikes:")
    falses = false_lines(syn, ren)
    for line in falses:
        print("  " + line)
    print("\ntargets (issue 16):")
    tlines = targets(syn, ren)
    for line in tlines:
        print("  " + line)
    plot(syn, ren, PLOT)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "signals_working_range.md").write_text(
        "Surrender-signal recall (SYNTHETIC figures, not footage): rendered figure through the "
        "real models, Full (F) and Heavy (H) with the tile sweep (or without), "
        "hits/sequences · synthetic skeleton, world rules (image rules).\n\n"
        + md
        + "\n\n"
        + "\n".join(f"- {x}" for x in falses + tlines)
        + "\n"
    )
    print(f"\nwrote {PLOT} ({PLOT.stat().st_size // 1024} KB) and "
          f"{OUT / 'signals_working_range.md'}")  # fmt: skip
    print(f"bench_signals_range ran {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
