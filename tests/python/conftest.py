"""Shared fixtures of the Python tests: the real micrograd as a peer, where a checkout is given
by $MICROGRAD_DIR (karpathy/micrograd; never copied into this tree); tests that need it skip
with a message otherwise."""
import importlib
import os
import sys

import pytest


@pytest.fixture(scope="session")
def micrograd():
    path = os.environ.get("MICROGRAD_DIR")
    if not path or not os.path.exists(os.path.join(path, "micrograd", "engine.py")):
        pytest.skip("micrograd peer not available (set MICROGRAD_DIR to a karpathy/micrograd "
                    "checkout)")
    sys.path.insert(0, path)
    try:
        engine = importlib.import_module("micrograd.engine")
        nn = importlib.import_module("micrograd.nn")
    finally:
        sys.path.remove(path)
    return engine, nn
