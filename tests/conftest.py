"""Session-wide test setup.  ``DEEPGRAD_TEST_CUPY_EMULATOR=1`` runs the ``cuda`` cases of the
device-parameterised suites on tests/cupy_emulator.py (a CPU stand-in for CuPy); see that file."""
import os

if os.environ.get("DEEPGRAD_TEST_CUPY_EMULATOR", "") not in ("", "0"):
    from tests import cupy_emulator

    cupy_emulator.install()
