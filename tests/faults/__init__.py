"""Faults served over HTTP on 127.0.0.1 for the fault matrix (tests/test_fault_matrix.py): a
proxy in front of one mirror site that answers chosen requests wrongly (``proxy``), and the
wrong answers themselves (``rules``)."""
