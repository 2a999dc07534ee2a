"""kn-crawl: news monitoring for German municipal digitalisation."""

__version__ = "0.1.0"
