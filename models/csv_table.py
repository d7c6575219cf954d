"""Read the trainer's CSV tables (``log.csv``, ``eval.csv`` and the model card's
``training_log.csv`` / ``training_eval.csv``) — the one reader export, lineage and
plot_training share. The trainer's writer is ``train.CsvLog``; ``write_rows`` writes a
table back (ship's trimmed copies)."""

from __future__ import annotations

import csv
from pathlib import Path

from ..atomic_write import replacing


def read_rows(path) -> tuple[list[str], list[dict[str, str]]]:
    """``(header, rows)`` of the CSV at ``path``; each row maps column → cell text
    (``""`` for an empty cell). A missing file raises FileNotFoundError."""
    with open(Path(path), newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def filled(row: dict[str, str]) -> dict[str, str]:
    """``row`` without its empty cells (an eval row logs only the columns it measured)."""
    return {k: v for k, v in row.items() if v not in ("", None)}


def write_rows(path, header: list[str], rows) -> None:
    """Write ``rows`` (``read_rows``'s dicts) under ``header`` to the CSV at ``path``,
    replacing it in one step (``atomic_write.replacing``: a reader or a crash never sees half
    a table); a cell missing from a row is written empty, one outside the header is dropped."""
    with replacing(path) as tmp, open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header, restval="", extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
