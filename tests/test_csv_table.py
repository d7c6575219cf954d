"""The shared reader of the trainer's CSV tables (models/csv_table.py)."""

import pytest

from sscodec.models.csv_table import filled, read_rows
from sscodec.models.train import CsvLog


def test_reads_what_the_trainer_writes(tmp_path):
    log = CsvLog(tmp_path / "eval.csv", ["step", "wall", "mel_q3", "visqol_q3"])
    log.write({"step": 100, "wall": 12.5, "mel_q3": 0.61})
    log.write({"step": 200, "wall": 25.0, "mel_q3": 0.58, "visqol_q3": 1.9})
    header, rows = read_rows(tmp_path / "eval.csv")
    assert header == ["step", "wall", "mel_q3", "visqol_q3"]
    assert [r["step"] for r in rows] == ["100", "200"]
    assert rows[0]["visqol_q3"] == ""
    assert filled(rows[0]) == {"step": "100", "wall": "12.5", "mel_q3": "0.61"}
    assert filled(rows[1])["visqol_q3"] == "1.9"


def test_empty_file_has_no_header_and_no_rows(tmp_path):
    (tmp_path / "log.csv").write_text("")
    assert read_rows(tmp_path / "log.csv") == ([], [])


def test_missing_file_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_rows(tmp_path / "nope.csv")
