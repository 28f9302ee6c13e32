"""One screen per job: library, search, duplicates, posters, status, help."""
