"""The cluster: ``kn-crawl worker`` on every node, one PostgreSQL, no permanent leader.

procrastinate keeps the job queue in the database kn-crawl already uses (``app``); a
periodic tick claims due sources and defers batch jobs (``tick``); a batch job runs one
crawl process for its sources (``tasks``) under a PostgreSQL advisory lock per web host
(``hosts``); leases and a fence keep a frozen or cut-off node from crawling or writing what
another node took over (``lease``, ``fence``).
"""
