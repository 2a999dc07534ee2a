"""Stories: one piece of news told by several sources (a press release, its republications,
the trade press's copies), found by near-duplicate detection over the articles' text."""
