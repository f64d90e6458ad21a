"""A realistic HR roster of any size: directors → managers → learners, across regions.

``python bench/roster_generator.py OUT_DIR --learners 300000 --regions 50`` writes one
CSV per region (``roster-r01.csv`` …) as an HR system exports them: extra columns
Summit ignores, managers as rows with ``Learner`` = ``no``, first and last names,
a few accented names. ``write_roster`` streams: memory stays flat whatever N.
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

FIRST = [
    "Anna",
    "Lukas",
    "Zoë",
    "Jonas",
    "Léa",
    "Felix",
    "Priya",
    "Arjun",
    "Mia",
    "Noah",
    "Chloé",
    "Mateo",
    "Sofía",
    "Kenji",
    "Aiko",
    "Omar",
    "Fatima",
    "Liam",
    "Emma",
    "Ravi",
]
LAST = [
    "Müller",
    "Schmidt",
    "Dubois",
    "Martin",
    "Sharma",
    "Patel",
    "García",
    "Rossi",
    "Smith",
    "Johnson",
    "Nakamura",
    "Kowalski",
    "Nguyen",
    "Silva",
    "Andersen",
    "Ødegård",
]
HEADER = [
    "Employee ID",
    "First name",
    "Last name",
    "E-mail",
    "Manager (id or email)",
    "Language",
    "Learner",
    "Cost centre",
    "Hire date",
    "Job title",
]
LOCALES = ["de_DE", "fr_FR", "en_US", "en_IN", ""]
TEAM = 12  # learners per manager


def write_roster(path: Path, *, learners: int, region: int = 1, seed: int = 7) -> int:
    """Write one region's roster; returns the number of rows (managers included)."""
    rng = random.Random(seed + region)
    prefix = f"R{region:02d}"
    managers = max(1, learners // TEAM)
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        director = f"{prefix}-D"
        out.writerow(
            [
                director,
                "Dana",
                "Director",
                f"director.{prefix.lower()}@example.com",
                "",
                "en_US",
                "no",
                "CC-1",
                "2010-01-04",
                "Director",
            ]
        )
        rows += 1
        for m in range(managers):
            out.writerow(
                [
                    f"{prefix}-M{m:05d}",
                    rng.choice(FIRST),
                    rng.choice(LAST),
                    f"m{m:05d}.{prefix.lower()}@example.com",
                    director,
                    rng.choice(LOCALES),
                    "no",
                    f"CC-{m % 40}",
                    "2015-03-02",
                    "Manager",
                ]
            )
            rows += 1
        for i in range(learners):
            manager = f"{prefix}-M{i % managers:05d}"
            # one in three managers referenced by email, as some HR exports do
            ref = manager if i % 3 else f"m{i % managers:05d}.{prefix.lower()}@example.com"
            out.writerow(
                [
                    f"{prefix}-{i:07d}",
                    rng.choice(FIRST),
                    rng.choice(LAST),
                    f"p{i:07d}.{prefix.lower()}@example.com",
                    ref,
                    rng.choice(LOCALES),
                    "yes",
                    f"CC-{i % 40}",
                    "2020-06-01",
                    "Engineer",
                ]
            )
            rows += 1
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--learners", type=int, default=300_000)
    parser.add_argument("--regions", type=int, default=50)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    per_region = args.learners // args.regions
    total = 0
    for r in range(1, args.regions + 1):
        total += write_roster(args.out / f"roster-r{r:02d}.csv", learners=per_region, region=r)
    print(f"{total:,} rows in {args.regions} files under {args.out}")


if __name__ == "__main__":
    main()
