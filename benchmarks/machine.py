"""The machine a run was measured on: figures only mean something next to it."""

from __future__ import annotations

import os
import platform
from datetime import datetime
from importlib import metadata

PACKAGES = ("gspread", "requests", "google-auth", "pandas", "openpyxl", "jinja2", "babel", "rich", "typer")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gb() -> float | None:
    try:
        with open("/proc/meminfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 ** 2, 1)
    except OSError:
        pass
    return None


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def describe() -> dict:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"date": datetime.now().astimezone().isoformat(timespec="seconds"), "cpu": _cpu_model(),
            "cores": os.cpu_count(), "usable_cores": usable, "ram_gb": _ram_gb(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
            "os": platform.platform(), "python": platform.python_version(),
            "packages": {name: _version(name) for name in PACKAGES}}


def one_line(machine: dict) -> str:
    return (f"{machine['cpu']} ({machine['cores']} cores), {machine['ram_gb']} GB RAM, Python {machine['python']}, "
            f"load {machine['load_average_at_start'][0] if machine['load_average_at_start'] else '?'} at start")
