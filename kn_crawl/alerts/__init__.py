"""E-mail alerts on Stichwörter and keywords.

After each crawl (the ``after_run`` hook) or on demand, ``matching`` looks at every article and
Stichwort it has not seen yet and queues one outbox entry per interested recipient; ``delivery``
claims due e-mails with a lease, renders them (``render``) and sends them over SMTP (``smtp``).
Kept import-light: ``kn_crawl.db.schema`` imports ``kn_crawl.alerts.models`` through here.
"""
