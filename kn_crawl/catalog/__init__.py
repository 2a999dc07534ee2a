"""The source catalogue: every source kn-crawl knows, from TOML (bundled plus the user's file).

``model`` holds the entry types, ``load`` reads and validates the TOML files, ``sync`` writes
the entries into the ``sources`` table.
"""
