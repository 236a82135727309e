"""The reliability matrix of issue 10: faults injected, what must hold, what was measured."""
