"""Scrapy item pipelines, one job each, in this order: normalize, validate, vocabulary, dedupe,
store."""
