"""``kn-crawl schedule``: crawl every source on its own timer, each run in a child process."""
