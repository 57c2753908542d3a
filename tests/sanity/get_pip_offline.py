# SPDX-License-Identifier: GPL-3.0-or-later
"""Stand-in for the get-pip bootstrap script ansible-test downloads.

ansible-test builds its sanity virtual environments without pip and fetches a
get-pip script from a host that is not a package registry, which our machines
cannot reach. It accepts a pre-seeded copy in its cache. This one bootstraps pip
from the interpreter's own ensurepip, then installs the pip version ansible-test
asked for from the ordinary package index.
"""
import subprocess
import sys

DROP = {"--no-setuptools", "--no-wheel"}
requested = [arg for arg in sys.argv[1:] if arg not in DROP]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
status = subprocess.call([sys.executable, "-m", "pip", "install", "--disable-pip-version-check", *requested])
if status == 0 and "--no-setuptools" in sys.argv[1:]:
    subprocess.call([sys.executable, "-m", "pip", "uninstall", "--yes", "--quiet", "setuptools"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
sys.exit(status)
