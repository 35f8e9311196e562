"""Run every benchmark (`make bench`)."""

import subprocess
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
for script in sorted(here.glob("bench_*.py")):
    subprocess.run([sys.executable, str(script), *sys.argv[1:]], check=True)
