"""Session-wide test setup.  ``DEEPGRAD_TEST_CUPY_EMULATOR=1`` runs the ``cuda`` cases of the
device-parameterised suites on tests/cupy_emulator.py (a CPU stand-in for CuPy); see that file.
``DEEPGRAD_TEST_DEFAULT_DEVICE=cuda`` sets ``deepgrad.set_default_device`` for the whole run
(``make test`` runs the Keras suite that way, which must then need no code change)."""
import os

if os.environ.get("DEEPGRAD_TEST_CUPY_EMULATOR", "") not in ("", "0"):
    from tests import cupy_emulator

    cupy_emulator.install()

if os.environ.get("DEEPGRAD_TEST_DEFAULT_DEVICE"):
    import deepgrad

    deepgrad.set_default_device(os.environ["DEEPGRAD_TEST_DEFAULT_DEVICE"])
