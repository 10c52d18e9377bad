"""The benchmark entry point runs (at a tiny size: the figures themselves live in benchmarks/results.json)."""

import json

import pytest


@pytest.mark.slow  # a scale script at its smallest size: once a session (the real date)
def test_benchmark_runs_end_to_end_at_a_tiny_size_and_writes_its_results(tmp_path, capsys):
    from benchmarks.__main__ import main
    main(["--sizes", "50", "--output", str(tmp_path / "results.json")])
    saved = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert saved["machine"]["cpu"] and saved["machine"]["packages"]["gspread"] != "absent"
    (dry,), (writing,), (naive,) = saved["dry_runs"], saved["writing_runs"], saved["naive"]
    assert dry["exit_code"] == 0 and dry["requests"] <= 6 and writing["requests"] <= 8
    assert naive["requests"] > writing["requests"] and naive["write_requests"] >= 4 * naive["reminders"]
    assert all(v["met"] for v in saved["verdicts"])
    assert "| rows |" in capsys.readouterr().out
