from kn_crawl.cli import main

main()
