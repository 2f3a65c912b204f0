"""``make demo``: a local FHIR server seeded with the demo patients, the service in dev mode, and the URL
of its demo EHR page.  Ctrl-C stops everything.

Run from the repository root:  .venv/bin/python scripts/demo.py [--port 8080]
The FHIR server is sekmet from .venv-fhir (``make`` builds it); data and the service's database live in
a temporary directory that is removed on exit.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.demo_stack import demo_stack  # noqa: E402


def _stop(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8080, help="service port (0: any free port)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _stop)  # `kill` stops the servers too, like Ctrl-C
    with tempfile.TemporaryDirectory(prefix="naltrexone-cds-demo-") as tmp:
        print("starting the FHIR server and seeding the demo patients ...", flush=True)
        with demo_stack(Path(tmp), port=args.port or None) as stack:
            patients = [line for line in stack.seed_output.splitlines() if ": patient " in line]
            print(f"FHIR server   {stack.fhir.base_url}  (bearer token {stack.fhir.token})")
            print(f"service       {stack.service_url}  (AUTH=none, development mode)")
            print(f"demo patients {len(patients)}, e.g. r2-short-acting-5-days-pat-1 (critical),")
            print("              clean-oral-daily-aud-pat-1 (clean), r15-nonstandard-dose-pat-1")
            print(f"\nopen          {stack.page_url('r2-short-acting-5-days-pat-1')}\n")
            print("Ctrl-C stops the demo.", flush=True)
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                print("\nstopping ...")


if __name__ == "__main__":
    main()
