"""The database: typed models, engine set-up, migrations and the article store."""
