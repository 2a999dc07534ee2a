"""Batched refreshes: many due sources crawled by one process.

An unchanged refresh does ~0.05 s of real work, and a process of its own costs ~2.4 s of
start-up; so due sources are grouped into batches (``plan``), and one crawl process refreshes
a whole batch, each source with its own politeness, crawl run and failures. The scheduler
(one node, SQLite or PostgreSQL) and the cluster's workers (``kn_crawl.cluster``) both
dispatch batches.
"""
