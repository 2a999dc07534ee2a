"""Site-independent extraction helpers used by the page objects in ``spiders/``."""
