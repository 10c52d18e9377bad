"""The GitHub Action: its triggers, secrets and artifact, and when its cron really fires in Paris."""

import shutil
import subprocess
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from relance.core.config import load_policy

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "relance.yml"
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(scope="module")
def workflow() -> dict:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def steps(workflow) -> list[dict]:
    (job,) = workflow["jobs"].values()
    return job["steps"]


def cron_fires(entry: str, day: date) -> list[datetime]:
    """UTC moments on `day` for a ``M H * * D-D`` entry (the only form this workflow uses)."""
    minute, hour, dom, month, dow = entry.split()
    assert dom == "*" and month == "*", entry
    first, _, last = dow.partition("-")
    cron_dow = (day.weekday() + 1) % 7  # cron: 0 = Sunday
    if not int(first) <= cron_dow <= int(last or first):
        return []
    return [datetime.combine(day, time(int(h), int(minute)), tzinfo=timezone.utc) for h in hour.split(",")]


def test_triggers_concurrency_secrets_and_the_log_artifact(workflow):
    on = workflow["on"]
    assert on["workflow_dispatch"]["inputs"]["dry_run"]["type"] == "boolean"
    assert workflow["concurrency"]["cancel-in-progress"] is False and workflow["concurrency"]["group"]
    text = WORKFLOW.read_text(encoding="utf-8")
    assert "${{ secrets.RELANCE_SMTP_PASSWORD }}" in text and "${{ secrets.GOOGLE_SERVICE_ACCOUNT_JSON }}" in text
    run = next(s for s in steps(workflow) if "relance run" in s.get("run", ""))
    assert run["env"]["RELANCE_SMTP_PASSWORD"] == "${{ secrets.RELANCE_SMTP_PASSWORD }}"
    assert "--dry-run" in run["env"]["DRY_RUN"] and "$DRY_RUN" in run["run"] and "tee relance-run.log" in run["run"]
    assert workflow["defaults"]["run"]["shell"] == "bash"  # with pipefail, a failed run fails the job
    upload = next(s for s in steps(workflow) if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()" and upload["with"]["path"] == "relance-run.log"


def test_every_weekday_of_the_year_one_entry_fires_at_0915_in_paris_and_none_after_the_window(workflow):
    """Winter and summer time alike: one run at 09:15 local, the other before the window or inside it."""
    crons = [entry["cron"] for entry in workflow["on"]["schedule"]]
    start, end = load_policy(ROOT / "config.toml").schedule.send_window
    day = date(2026, 1, 1)
    seen_offsets = set()
    while day.year == 2026:
        fires = [moment.astimezone(PARIS) for entry in crons for moment in cron_fires(entry, day)]
        if day.weekday() >= 5:
            assert fires == [], day
        else:
            assert [f.time() for f in fires].count(time(9, 15)) == 1, (day, fires)
            assert all(f.date() == day and f.time() < end for f in fires), (day, fires)
            assert any(start <= f.time() < end for f in fires)
            seen_offsets.add(fires[0].utcoffset())
        day += timedelta(days=1)
    assert seen_offsets == {timedelta(hours=1), timedelta(hours=2)}  # both CET and CEST were covered


@pytest.mark.parametrize("month", [1, 7])
def test_in_january_and_july_the_entry_inside_the_window_is_the_0915_one(workflow, month):
    from relance.core.timing import Calendar
    calendar = Calendar(load_policy(ROOT / "config.toml").schedule)
    crons = [entry["cron"] for entry in workflow["on"]["schedule"]]
    for day in (date(2026, month, d) for d in range(1, 32)):
        if not calendar.is_business_day(day):  # weekends, 1 January, 14 July: relance sends nothing anyway
            continue
        moments = [m for entry in crons for m in cron_fires(entry, day)]
        sending = [m.astimezone(PARIS).strftime("%H:%M") for m in moments if calendar.in_window(m)]
        assert sending[0] == "09:15"
        assert sending == (["09:15"] if month == 1 else ["09:15", "10:15"])


@pytest.mark.skipif(shutil.which("actionlint") is None, reason="actionlint not installed")
def test_actionlint_finds_nothing():
    result = subprocess.run(["actionlint", str(WORKFLOW)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
