"""What the managers' summary costs: `summary.compute` on 100 000 invoices, and its stage-effectiveness part.

Run: python -m benchmarks.summary_100k
The register is `benchmarks.generate` (about 74 000 Journal rows). Printed: compute() with everything,
and `effectiveness.measure` alone (first send per invoice and stage, paid within 7 / 14 days, promises).
Best of 3 runs.
"""

from __future__ import annotations

from datetime import date

from relance.dashboard import effectiveness, summary
from relance.core.config import Policy

from .generate import register
from .planner_time import best_of

TODAY = date(2026, 11, 25)


def main() -> None:
    reg, _ = register(100_000, TODAY)
    policy = Policy()
    index = summary.journal_index(reg, policy)
    frame = summary.invoice_frame(reg, policy, TODAY, index)
    current = [(0, 0)] * len(policy.stages)
    compute_s = best_of(3, lambda: summary.compute(reg, policy, TODAY))
    measure_s = best_of(3, lambda: effectiveness.measure(frame, reg.journal, index, policy.stages, current,
                                                         policy.promises.grace_days, TODAY))
    print(f"compute {compute_s:.2f} s for {len(reg.invoices)} invoices and {len(reg.journal)} journal rows; "
          f"of which stage effectiveness and promises {measure_s:.3f} s")


if __name__ == "__main__":
    main()
